namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// The operations on an orchestration instance a Durable link may name after its token, as the Durable Task HTTP API
/// has them: <c>raiseEvent/{eventName}</c>, <c>terminate</c>, <c>suspend</c>, <c>resume</c>, <c>rewind</c>, <c>restart</c>.
/// Nothing else can follow a token, so a link reaches its own instance's operations only.
/// </summary>
internal static class DurableOperation
{
    private const string RaiseEvent = "raiseEvent";

    private static readonly string[] s_plain = ["terminate", "suspend", "resume", "rewind", "restart"];

    /// <summary>
    /// Whether <paramref name="operation"/> (without its leading slash, percent-encoding kept) is one of the operations:
    /// the operation's own name (case-insensitive), or <c>raiseEvent/</c> and one segment that is not a dot segment.
    /// <paramref name="canonical"/> is the operation as the Durable Task API spells it.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> operation, out string canonical)
    {
        canonical = string.Empty;
        foreach (var name in s_plain)
        {
            if (operation.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                canonical = name;
                return true;
            }
        }

        var slash = operation.IndexOf('/');
        if (slash < 0 || !operation[..slash].Equals(RaiseEvent, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var eventName = operation[(slash + 1)..];
        if (eventName.IsEmpty || eventName.Contains('/') || eventName is "." or "..")
        {
            return false;
        }

        canonical = string.Concat(RaiseEvent, "/", eventName);
        return true;
    }
}
