using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// Validates <see cref="AzureFunctionProxyOptions"/>. Every failure is one sentence in one shape: the function, the
/// key's configuration path when the options are bound to configuration, what the value must be (with its unit), and a
/// hint where the mistake is a common one (a URL or a port in <c>AppName</c>). No message prints a value, so a
/// misplaced key cannot end up in a startup log, except the host, port and scheme a hint reads from an <c>AppName</c>
/// written as a URL (<see cref="AppNameHint"/>: never its user info, path or query).
/// </summary>
internal static class AzureFunctionProxyOptionsValidator
{
    private const string AllMilliseconds = "between 1 and 2147483647 milliseconds";

    private const string FunctionParameter = "'{function}'";

    /// <summary>
    /// Validates <paramref name="options"/>. <paramref name="appMount"/> says what the function is mounted as once it
    /// is: an app mount (<see cref="AzureFunctionProxyOptions.Functions"/>, possibly emptied by a reload) or one function
    /// (<see cref="AzureFunctionProxyOptions.FunctionName"/>); <see langword="null"/> before, when the options decide.
    /// </summary>
    public static ValidateOptionsResult Validate(OptionsOrigin origin, AzureFunctionProxyOptions options, bool? appMount = null)
    {
        ArgumentNullException.ThrowIfNull(origin);
        ArgumentNullException.ThrowIfNull(options);

        var failures = new Failures(origin);
        var hasFunctionName = !string.IsNullOrWhiteSpace(options.FunctionName);
        if (options.Functions is null)
        {
            failures.Add(nameof(options.Functions), "Functions must be a map of function names to their settings, or empty.");
        }
        else if (hasFunctionName && options.Functions.Count > 0)
        {
            failures.Add(
                nameof(options.FunctionName),
                "FunctionName and Functions cannot both be set: FunctionName names the one function of a mount, Functions the " +
                $"functions of an app mount (a route pattern with {FunctionParameter}). Remove one of them.");
        }
        else if (appMount ?? options.Functions.Count > 0)
        {
            if (hasFunctionName)
            {
                failures.Add(nameof(options.FunctionName), MountMismatchMessage(appMount: true));
            }

            ValidateFunctions(options.Functions, options.Backends is { Count: > 0 }, failures);
        }
        else if (options.Functions.Count > 0)
        {
            failures.Add(nameof(options.Functions), MountMismatchMessage(appMount: false));
        }
        else if (!hasFunctionName)
        {
            failures.Add(
                nameof(options.FunctionName),
                "FunctionName is required: the function's name in its Function App, e.g. 'hello' for /api/hello (or, for an " +
                $"app mount with {FunctionParameter} in its route pattern, Functions).");
        }
        else
        {
            ValidatePath(nameof(options.FunctionName), options.FunctionName, allowEmpty: false, failures);
        }

        // With backends, the function's AppName is only the default of entries that leave theirs out.
        if (options.Backends is not { Count: > 0 } || !string.IsNullOrEmpty(options.AppName))
        {
            ValidateHost(options, failures);
        }

        ValidatePath(nameof(options.RoutePrefix), options.RoutePrefix, allowEmpty: true, failures);
        ValidatePort(options.Port, failures);

        if (options.Timeout < 1)
        {
            failures.Add(nameof(options.Timeout), $"Timeout must be {AllMilliseconds}.");
        }

        if (options.Keepalive < 1)
        {
            failures.Add(nameof(options.Keepalive), $"Keepalive must be {AllMilliseconds}.");
        }

        if (options.MaxRequestBodySize < 0)
        {
            failures.Add(nameof(options.MaxRequestBodySize), "MaxRequestBodySize must be 0 bytes or more, or unset for no limit.");
        }

        if (!Enum.IsDefined(options.RequestBodyFraming))
        {
            failures.Add(nameof(options.RequestBodyFraming), "RequestBodyFraming must be ContentLength or AsSent.");
        }

        ValidateHttpVersion(options.HttpVersion, allowUnset: false, failures);

        if (options.MaxConnectionsPerBackend < 1)
        {
            failures.Add(nameof(options.MaxConnectionsPerBackend), "MaxConnectionsPerBackend must be 1 connection or more, or unset for no limit.");
        }

        ValidateDurableLinks(options, failures);
        ValidateHeaderValue(nameof(options.ApiKey), options.ApiKey, failures);
        ValidateHeaderValue(nameof(options.ClientId), options.ClientId, failures);
        ValidateRemovedHeaders(nameof(options.RemoveRequestHeaders), options.RemoveRequestHeaders, failures);
        ValidateRemovedHeaders(nameof(options.RemoveResponseHeaders), options.RemoveResponseHeaders, failures);
        ValidateBackends(options, failures);
        ValidateCircuit(options, failures);

        return failures.Result();
    }

    private static void ValidatePort(int? port, Failures failures)
    {
        if (port is < 1 or > 65535)
        {
            failures.Add("Port", "Port must be between 1 and 65535, or unset for the scheme's own (443 with Https, else 80).");
        }
    }

    private static void ValidateHttpVersion(string? version, bool allowUnset, Failures failures)
    {
        if (!(version is null ? allowUnset : AzureFunctionProxyOptions.IsHttpVersion(version)))
        {
            failures.Add("HttpVersion", "HttpVersion must be 1.1 or 2" + (allowUnset ? ", or unset for the function's own." : "."));
        }
    }

    private static void ValidateBackends(AzureFunctionProxyOptions options, Failures failures)
    {
        if (options.Backends is null)
        {
            failures.Add(nameof(options.Backends), "Backends must be a list of Function Apps, or empty.");
            return;
        }

        if (options.Backends.Count > AzureFunctionProxyOptions.MaxBackends)
        {
            failures.Add(nameof(options.Backends), $"Backends must hold at most {AzureFunctionProxyOptions.MaxBackends} Function Apps.");
            return;
        }

        var endpoints = new Dictionary<(bool Https, string Host, int? Port), int>();
        for (var i = 0; i < options.Backends.Count; i++)
        {
            var entry = failures.ForBackend(i);
            if (options.Backends[i] is not { } backend)
            {
                failures.Add($"{nameof(options.Backends)}:{i}", $"Backends[{i}] must be a Function App, not empty.");
                continue;
            }

            // The entry as it is used: the function's keys where it leaves them out.
            var effective = options.ForBackend(backend);
            var failuresBefore = entry.Count;
            ValidateHost(effective, entry);
            ValidatePort(backend.Port, entry);
            ValidateHttpVersion(backend.HttpVersion, allowUnset: true, entry);
            ValidateHeaderValue(nameof(backend.ApiKey), backend.ApiKey, entry);
            ValidateHeaderValue(nameof(backend.ClientId), backend.ClientId, entry);
            if (backend.Priority < 1)
            {
                entry.Add(nameof(backend.Priority), "Priority must be 1 or more (1 is tried first).");
            }

            if (backend.Weight is < 1 or > 100)
            {
                entry.Add(nameof(backend.Weight), "Weight must be between 1 and 100.");
            }

            var port = effective.Port ?? (effective.Https ? 443 : 80);
            if (entry.Count == failuresBefore && !endpoints.TryAdd((effective.Https, HostNames.Of(effective).ToUpperInvariant(), port), i))
            {
                entry.Add(nameof(backend.AppName), $"AppName, HostDomain, Port and Https name the same Function App as Backends[{endpoints[(effective.Https, HostNames.Of(effective).ToUpperInvariant(), port)]}]: each backend must be another one.");
            }
        }
    }

    private static void ValidateCircuit(AzureFunctionProxyOptions options, Failures failures)
    {
        if (options.FailureThreshold < 1)
        {
            failures.Add(nameof(options.FailureThreshold), "FailureThreshold must be between 1 and 2147483647 failures in a row.");
        }

        if (options.BreakDuration < 1)
        {
            failures.Add(nameof(options.BreakDuration), $"BreakDuration must be {AllMilliseconds}.");
        }

        if (options.MaxRetryAfter < 1)
        {
            failures.Add(nameof(options.MaxRetryAfter), $"MaxRetryAfter must be {AllMilliseconds}.");
        }

        var codes = options.FailureStatusCodes ?? [];
        for (var i = 0; i < codes.Count; i++)
        {
            if (codes[i] is < 400 or > 599)
            {
                failures.Add($"{nameof(options.FailureStatusCodes)}:{i}", "FailureStatusCodes must hold error statuses, between 400 and 599.");
            }
        }
    }

    /// <summary>
    /// Why options mounted the wrong way cannot be served, for the mount to throw at startup: an app mount's options
    /// (<see cref="AzureFunctionProxyOptions.Functions"/>) behind <c>UseAzureFunctionProxy</c> or a pattern without
    /// <c>{function}</c>, when <paramref name="appMount"/> is <see langword="false"/>; one function's options behind a
    /// pattern with <c>{function}</c>, when it is <see langword="true"/>.
    /// </summary>
    public static string MountMismatch(OptionsOrigin origin, bool appMount)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return appMount
            ? origin.Failure(nameof(AzureFunctionProxyOptions.FunctionName), MountMismatchMessage(appMount: true))
            : origin.Failure(nameof(AzureFunctionProxyOptions.Functions), MountMismatchMessage(appMount: false));
    }

    private static string MountMismatchMessage(bool appMount) => appMount
        ? $"FunctionName cannot be set on an app mount, whose route pattern has {FunctionParameter}: list the functions it serves " +
            $"in Functions, or map a pattern without {FunctionParameter} to call the one function FunctionName names."
        : "Functions lists the functions of an app mount, which only MapAzureFunctionProxy serves, with " +
            $"{FunctionParameter} in its route pattern (e.g. '/shop/{{function}}/{{**rest}}'); UseAzureFunctionProxy and " +
            $"patterns without {FunctionParameter} call the one function FunctionName names.";

    // Each name is one path segment, as FunctionName's segments are, and its key and client id header values.
    // With Backends, a function's own key or client id is refused: each belongs to one Function App, and the backends are several.
    private static void ValidateFunctions(IDictionary<string, AzureFunctionProxyFunctionOptions> functions, bool backends, Failures failures)
    {
        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, function) in functions)
        {
            var key = $"{nameof(AzureFunctionProxyOptions.Functions)}:{name}";
            if (string.IsNullOrEmpty(name) || name is "." or ".." || !PathCharacters.AreAllowedInSegment(name))
            {
                failures.Add(
                    key,
                    $"Functions holds '{name}', which is not a function name: one path segment of letters, digits and " +
                    "- . _ ~ ! $ & ' ( ) * + , ; = : @, not '.' or '..', with no percent-encoding.");
            }
            else if (!seen.TryAdd(name, name))
            {
                failures.Add(key, $"Functions holds both '{seen[name]}' and '{name}', one function: names match case-insensitively, as Azure matches them.");
            }

            ValidateHeaderValue($"{key}:{nameof(function.ApiKey)}", function?.ApiKey, failures);
            ValidateHeaderValue($"{key}:{nameof(function.ClientId)}", function?.ClientId, failures);
            if (backends)
            {
                RefuseWithBackends(key, nameof(function.ApiKey), function?.ApiKey, failures);
                RefuseWithBackends(key, nameof(function.ClientId), function?.ClientId, failures);
            }
        }
    }

    private static void RefuseWithBackends(string functionKey, string setting, string? value, Failures failures)
    {
        if (!string.IsNullOrEmpty(value))
        {
            failures.Add(
                $"{functionKey}:{setting}",
                $"{setting} cannot be set for one function of an app mount with Backends: a function's {setting} belongs to one " +
                $"Function App, and Backends lists several. Set each backend's {setting} (a host key serves all of that app's " +
                $"functions), or the app's {setting} for backends that share it.");
        }
    }

    private static void ValidateHost(AzureFunctionProxyOptions options, Failures failures)
    {
        var appName = options.AppName;

        // The hint names the user's own host when the value holds one; else, with HostDomain empty AppName is the
        // whole host, as for a local Functions host.
        var example = string.IsNullOrEmpty(options.HostDomain) ? "e.g. 'localhost'" : "e.g. 'myapp'";
        var fix = AppNameHint.For(appName ?? string.Empty, options.HostDomain) is { } hint ? $"set {hint}" : $"put only the app name, {example}";
        if (string.IsNullOrWhiteSpace(appName))
        {
            failures.Add(nameof(options.AppName), "AppName is required: the Function App's name, e.g. 'myapp' for myapp.azurewebsites.net.");
        }
        else if (appName.Contains("://", StringComparison.Ordinal))
        {
            failures.Add(nameof(options.AppName), $"AppName must be the Function App's name, not a URL: {fix} (Https and Port set the scheme and port).");
        }
        else if (appName.Contains('/', StringComparison.Ordinal))
        {
            failures.Add(nameof(options.AppName), $"AppName must not hold a path: {fix} (RoutePrefix and FunctionName make the path).");
        }
        else if (appName.Count(c => c == ':') == 1)
        {
            // One colon is a port; an IPv6 address has several.
            failures.Add(nameof(options.AppName), $"AppName must not hold a port: {fix} (the port goes in Port).");
        }
        else if (!string.IsNullOrEmpty(options.HostDomain) && appName.EndsWith("." + options.HostDomain, StringComparison.OrdinalIgnoreCase))
        {
            failures.Add(nameof(options.AppName), $"AppName must not end with HostDomain, which is added to it: {fix}, or set HostDomain to empty to use AppName as the whole host name.");
        }
        else if (!HostNames.IsValid(HostNames.Of(options)))
        {
            if (!string.IsNullOrEmpty(options.HostDomain) && !HostNames.IsValid(options.HostDomain))
            {
                failures.Add(nameof(options.HostDomain), "HostDomain must be a DNS domain of letters, digits and hyphens, e.g. 'azurewebsites.net', or empty when AppName is the whole host name.");
            }
            else
            {
                failures.Add(nameof(options.AppName), "AppName must be a DNS name of letters, digits and hyphens, e.g. 'myapp', or, with HostDomain empty, an IP address.");
            }
        }
    }

    private static void ValidatePath(string optionName, string? value, bool allowEmpty, Failures failures)
    {
        var trimmed = (value ?? string.Empty).Trim('/');
        if (trimmed.Length == 0)
        {
            if (!allowEmpty)
            {
                failures.Add(optionName, $"{optionName} must hold more than slashes.");
            }

            return;
        }

        foreach (var segment in trimmed.Split('/'))
        {
            if (segment.Length == 0 || segment is "." or ".." || !PathCharacters.AreAllowedInSegment(segment))
            {
                failures.Add(
                    optionName,
                    $"{optionName} must be path segments of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ " +
                    "with no empty, '.' or '..' segment and no percent-encoding.");
                return;
            }
        }
    }

    private static void ValidateDurableLinks(AzureFunctionProxyOptions options, Failures failures)
    {
        var path = options.DurableLinksPath;
        if (path is null || (path.Length > 0 && (path is "." or ".." || !PathCharacters.AreAllowedInSegment(path))))
        {
            failures.Add(
                nameof(options.DurableLinksPath),
                "DurableLinksPath must be one path segment of letters, digits and - . _ ~ ! $ & ' ( ) * + , ; = : @ " +
                "(no slash, no percent-encoding, not '.' or '..'), e.g. '_durable', or empty to turn Durable links off.");
        }

        // Bounded above too: a link is a bearer capability, and an issue time plus a lifetime near TimeSpan.MaxValue is
        // past any date, which would fail every link when it is made rather than the app when it starts.
        if (options.DurableLinksLifetime < TimeSpan.FromSeconds(1) || options.DurableLinksLifetime > TimeSpan.FromDays(365))
        {
            failures.Add(nameof(options.DurableLinksLifetime), "DurableLinksLifetime must be from 1 second to 365 days, as a time span (e.g. '7.00:00:00' for 7 days).");
        }
    }

    private static void ValidateRemovedHeaders(string optionName, IList<string>? names, Failures failures)
    {
        if (names is null)
        {
            failures.Add(optionName, $"{optionName} must be a list of header names, or empty.");
            return;
        }

        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i];
            if (!HeaderNameCharacters.IsToken(name))
            {
                failures.Add($"{optionName}:{i}", $"{optionName} holds '{name}', which is not a header name (RFC 9110 token characters).");
            }
            else if (HeaderNameCharacters.IsOwnedByProxy(name))
            {
                failures.Add(
                    $"{optionName}:{i}",
                    $"{optionName} holds '{name}', a header the proxy sets itself (x-functions-key, x-functions-clientid, X-Forwarded-*, Host): " +
                    "it cannot be removed this way.");
            }
        }
    }

    private static void ValidateHeaderValue(string optionName, string? value, Failures failures)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1]) || !value.All(c => c is '\t' or (>= ' ' and <= '~')))
        {
            failures.Add(
                optionName,
                $"{optionName} contains a character that cannot be sent in an HTTP header (CR, LF, another control or " +
                "non-ASCII character, or leading or trailing white space).");
        }
    }

    private sealed class Failures
    {
        private readonly OptionsOrigin _origin;
        private readonly List<string> _messages;
        private readonly string _keyPrefix;
        private readonly string _messagePrefix;

        public Failures(OptionsOrigin origin)
            : this(origin, [], string.Empty, string.Empty)
        {
        }

        private Failures(OptionsOrigin origin, List<string> messages, string keyPrefix, string messagePrefix)
        {
            _origin = origin;
            _messages = messages;
            _keyPrefix = keyPrefix;
            _messagePrefix = messagePrefix;
        }

        /// <summary>The failures so far, of every entry.</summary>
        public int Count => _messages.Count;

        /// <summary>The failures of <c>Backends[index]</c>: keys under <c>Backends:index</c>, messages naming <c>Backends[index].Key</c>.</summary>
        public Failures ForBackend(int index) =>
            new(_origin, _messages, $"{nameof(AzureFunctionProxyOptions.Backends)}:{index}:", $"{nameof(AzureFunctionProxyOptions.Backends)}[{index}].");

        public void Add(string key, string message) => _messages.Add(_origin.Failure(_keyPrefix + key, _messagePrefix + message));

        public ValidateOptionsResult Result() => _messages.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_messages);
    }
}
