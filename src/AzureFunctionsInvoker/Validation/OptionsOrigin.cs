namespace AzureFunctionsInvoker.Validation;

/// <summary>
/// Which function a set of options configures, as its validation messages name it: by the name it was registered
/// with, or, for options given in code to a mount, by their <c>FunctionName</c> (by the mount's path when that is
/// missing too). For options bound to configuration a message also gives the key's configuration path
/// (<c>AzureFunctions:Orders:Timeout</c>), the line to fix.
/// </summary>
internal sealed class OptionsOrigin
{
    private readonly string _subject;
    private readonly string? _section;

    private OptionsOrigin(string name, string subject, string? section)
    {
        Name = name;
        _subject = subject;
        _section = section;
    }

    /// <summary>The function's name in the app: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name { get; }

    /// <summary>The options of the function registered as <paramref name="name"/>, bound to the configuration section at <paramref name="sectionPath"/> or, when <see langword="null"/>, set in code.</summary>
    public static OptionsOrigin Registered(string name, string? sectionPath) => new(name, $"Azure Function '{name}'", sectionPath);

    /// <summary>Options given in code to the mount at <paramref name="mountPath"/>.</summary>
    public static OptionsOrigin Mounted(string functionName, string mountPath) => string.IsNullOrEmpty(functionName)
        ? new(functionName, $"Azure Function at '{mountPath}'", null)
        : new(functionName, $"Azure Function '{functionName}'", null);

    /// <summary>
    /// Where <paramref name="key"/> (a property name, or <c>RemoveRequestHeaders:2</c> for an item of a list) is set:
    /// its configuration path, or the key itself for options set in code.
    /// </summary>
    public string PathOf(string key) => string.IsNullOrEmpty(_section) ? key : $"{_section}:{key}";

    /// <summary>
    /// A failure of <paramref name="key"/>, in the shape every validation message has:
    /// <c>Azure Function 'Orders' (AzureFunctions:Orders:Timeout): Timeout must be ...</c>.
    /// </summary>
    public string Failure(string key, string message) =>
        _section is null ? $"{_subject}: {message}" : $"{_subject} ({PathOf(key)}): {message}";
}
