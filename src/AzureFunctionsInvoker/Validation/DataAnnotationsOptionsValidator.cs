using Microsoft.Extensions.Options;

namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// Checks the DataAnnotations attributes of <see cref="AzureFunctionProxyOptions"/> (required names, ranges)
/// with code generated at build time instead of reflection.
/// </summary>
[OptionsValidator]
internal sealed partial class DataAnnotationsOptionsValidator : IValidateOptions<AzureFunctionProxyOptions>
{
}
