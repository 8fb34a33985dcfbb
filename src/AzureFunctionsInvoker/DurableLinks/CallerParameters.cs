using System.Buffers;
using System.Collections.Frozen;
using System.Text;

namespace AzureFunctionsInvoker.DurableLinks;

/// <summary>
/// The query parameters of Durable management URLs that are the caller's to set (<c>reason</c>, <c>showHistory</c>...,
/// as Durable Functions documents them). Every other parameter (<c>taskHub</c>, <c>connection</c>, <c>code</c>, and
/// whatever a later version adds) stays in the token, and a caller's own is dropped. Names are compared decoded and
/// case-insensitively, as the Functions host reads them, so <c>c%6Fde</c> or <c>CODE</c> is <c>code</c>.
/// </summary>
internal static class CallerParameters
{
    private static readonly FrozenSet<string> s_allowed = FrozenSet.Create(
        StringComparer.OrdinalIgnoreCase,
        "reason",
        "showHistory",
        "showHistoryOutput",
        "showInput",
        "returnInternalServerErrorOnFailure",
        "recursive",
        "restartWithNewInstanceId");

    private static readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> s_allowedNames = s_allowed.GetAlternateLookup<ReadOnlySpan<char>>();

    // The first letters of the names, in both cases.
    private static readonly SearchValues<char> s_firstLetters = SearchValues.Create(
        string.Concat(s_allowed.Select(name => $"{char.ToLowerInvariant(name[0])}{char.ToUpperInvariant(name[0])}")));

    /// <summary>
    /// Splits the query of a management URL (without its <c>?</c>) into the parameters the caller may see, written to
    /// <paramref name="visible"/>, and the hidden ones, written to <paramref name="hidden"/> (each at least as long as the
    /// query), each kept as written and in order, and says how much of each it wrote.
    /// </summary>
    public static (int Visible, int Hidden) Split(ReadOnlySpan<char> query, Span<char> visible, Span<char> hidden)
    {
        var visibleLength = 0;
        var hiddenLength = 0;
        foreach (var range in query.Split('&'))
        {
            var parameter = query[range];
            if (parameter.IsEmpty)
            {
                continue;
            }

            if (IsAllowed(parameter))
            {
                visibleLength = Append(visible, visibleLength, parameter);
            }
            else
            {
                hiddenLength = Append(hidden, hiddenLength, parameter);
            }
        }

        return (visibleLength, hiddenLength);
    }

    /// <summary>
    /// The caller's own parameters that may reach the function (with its <c>?</c> or without), each name and value decoded and
    /// encoded again, so that nothing a lenient reader would decode differently is passed on; empty when none.
    /// </summary>
    public static string Filter(ReadOnlySpan<char> query)
    {
        query = query.TrimStart('?');
        var kept = new StringBuilder();
        foreach (var range in query.Split('&'))
        {
            var parameter = query[range];
            var name = NameOf(parameter);
            if (!IsAllowed(name))
            {
                continue;
            }

            var equals = parameter.IndexOf('=');
            (kept.Length > 0 ? kept.Append('&') : kept).Append(Uri.EscapeDataString(name));
            if (equals >= 0)
            {
                kept.Append('=').Append(Uri.EscapeDataString(Decode(parameter[(equals + 1)..])));
            }
        }

        return kept.ToString();
    }

    private static bool IsAllowed(string name) => s_allowed.Contains(name);

    // The parameter after what the list holds, '&' between them.
    private static int Append(Span<char> list, int length, ReadOnlySpan<char> parameter)
    {
        if (length > 0)
        {
            list[length++] = '&';
        }

        parameter.CopyTo(list[length..]);
        return length + parameter.Length;
    }

    // Whether the parameter's name is one of the caller's; a name with nothing to decode is looked up as it is.
    private static bool IsAllowed(ReadOnlySpan<char> parameter)
    {
        // Most hidden names (taskHub, connection, code) are told apart by their first character, which no decoding
        // changes unless it is '%' or '+'. One that is not ASCII is looked up (case folding maps some, such as the long
        // s, to an ASCII letter).
        if (parameter is [var first, ..] && char.IsAscii(first) && first is not ('%' or '+') && !s_firstLetters.Contains(first))
        {
            return false;
        }

        var equals = parameter.IndexOf('=');
        var name = equals < 0 ? parameter : parameter[..equals];
        return name.ContainsAny('%', '+') ? IsAllowed(Decode(name)) : s_allowedNames.Contains(name);
    }

    private static string NameOf(ReadOnlySpan<char> parameter)
    {
        var equals = parameter.IndexOf('=');
        return Decode(equals < 0 ? parameter : parameter[..equals]);
    }

    // As the Functions host (ASP.NET Core) reads a query: '+' is a space, then percent-decoding.
    private static string Decode(ReadOnlySpan<char> encoded) => Uri.UnescapeDataString(encoded.ToString().Replace('+', ' '));
}
