using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// Validates <see cref="AzureFunctionProxyOptions"/>: the DataAnnotations rules plus the rules that span
/// several options or need parsing. Failure messages name the option and the problem, never its value,
/// so a misplaced key cannot end up in a startup log.
/// </summary>
internal sealed class AzureFunctionProxyOptionsValidator : IValidateOptions<AzureFunctionProxyOptions>
{
    private readonly DataAnnotationsOptionsValidator _dataAnnotations = new();

    public ValidateOptionsResult Validate(string? name, AzureFunctionProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        var builder = new ValidateOptionsResultBuilder();
        builder.AddResult(_dataAnnotations.Validate(name, options));

        ValidateHost(options, builder);
        ValidatePath(nameof(options.RoutePrefix), options.RoutePrefix, allowEmpty: true, builder);
        ValidatePath(nameof(options.FunctionName), options.FunctionName, allowEmpty: false, builder);
        ValidateHeaderValue(nameof(options.ApiKey), options.ApiKey, builder);
        ValidateHeaderValue(nameof(options.ClientId), options.ClientId, builder);
        ValidateRemovedHeaders(nameof(options.RemoveRequestHeaders), options.RemoveRequestHeaders, builder);
        ValidateRemovedHeaders(nameof(options.RemoveResponseHeaders), options.RemoveResponseHeaders, builder);

        return builder.Build();
    }

    private static void ValidateHost(AzureFunctionProxyOptions options, ValidateOptionsResultBuilder builder)
    {
        if (string.IsNullOrEmpty(options.AppName))
        {
            return; // Reported by the Required rule.
        }

        if (!HostNames.IsValid(HostNames.Of(options)))
        {
            builder.AddError(
                $"'{nameof(options.AppName)}' and '{nameof(options.HostDomain)}' must form a valid DNS host name " +
                $"(letters, digits and hyphens) or IP address; a port goes in '{nameof(options.Port)}', not in the host.",
                nameof(options.AppName));
        }
    }

    private static void ValidatePath(string optionName, string? value, bool allowEmpty, ValidateOptionsResultBuilder builder)
    {
        var trimmed = (value ?? string.Empty).Trim('/');
        if (trimmed.Length == 0)
        {
            if (!allowEmpty && !string.IsNullOrEmpty(value))
            {
                builder.AddError("must contain more than slashes.", optionName);
            }

            return;
        }

        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || !PathCharacters.AreAllowedInSegment(segment))
            {
                builder.AddError(
                    "must be path segments of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ " +
                    "with no empty, '.' or '..' segment and no percent-encoding.",
                    optionName);
                return;
            }
        }
    }

    private static void ValidateRemovedHeaders(string optionName, IList<string>? names, ValidateOptionsResultBuilder builder)
    {
        if (names is null)
        {
            builder.AddError("must be a list of header names, or empty.", optionName);
            return;
        }

        foreach (var name in names)
        {
            if (!HeaderNameCharacters.IsToken(name))
            {
                builder.AddError($"holds '{name}', which is not a header name (RFC 9110 token characters).", optionName);
            }
            else if (HeaderNameCharacters.IsOwnedByProxy(name))
            {
                builder.AddError(
                    $"holds '{name}', a header the proxy sets itself (x-functions-key, x-functions-clientid, X-Forwarded-*, Host): " +
                    "it cannot be removed this way.",
                    optionName);
            }
        }
    }

    private static void ValidateHeaderValue(string optionName, string? value, ValidateOptionsResultBuilder builder)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || !value.All(c => c is '\t' or (>= ' ' and <= '~')))
        {
            builder.AddError(
                "contains a character that cannot be sent in an HTTP header (CR, LF, another control or non-ASCII " +
                "character, or leading or trailing white space).",
                optionName);
        }
    }
}
