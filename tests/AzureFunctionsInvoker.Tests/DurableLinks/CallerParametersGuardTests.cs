using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// The first-character shortcut of <see cref="CallerParameters"/> (merge bd7ef61) from the attacker's side: whatever a
/// name starts with, a parameter is the caller's exactly when the list holds its decoded name, as the Functions host
/// reads it; so a hidden one (<c>code</c>) never comes out in a link nor passes from a caller.
/// </summary>
public sealed class CallerParametersGuardTests
{
    private static readonly string[] s_allowed = ["reason", "showHistory", "showHistoryOutput", "showInput", "returnInternalServerErrorOnFailure", "recursive", "restartWithNewInstanceId"];
    private static readonly string[] s_hidden = ["code", "taskHub", "connection"];

    [Fact]
    public void Every_first_character_splits_as_the_decoded_name_says()
    {
        var wrong = new List<string>();
        foreach (var name in s_allowed.Concat(s_hidden))
        {
            var tail = name[1..];
            for (var c = 0; c <= 0xFFFF; c++)
            {
                if (char.IsSurrogate((char)c) || c is '&' or '#')
                {
                    continue;
                }

                Check($"{(char)c}{tail}=v", wrong);
            }

            // The first character percent-encoded in either case, as a '+' or its escape before the name.
            Check($"%{(int)name[0]:X2}{tail}=v", wrong);
            Check($"%{(int)name[0]:x2}{tail}=v", wrong);
            Check($"%{(int)char.ToUpperInvariant(name[0]):X2}{tail.ToUpperInvariant()}=v", wrong);
            Check($"+{name}=v", wrong);
            Check($"%2B{name}=v", wrong);
            Check($"%20{name}=v", wrong);
            Check($"{name}%00=v", wrong);
            Check($"{name.ToUpperInvariant()}=v", wrong);
            Check($"{name.Replace('s', '\u017F')}=v", wrong);
            Check($"{name.Replace('i', '\u0131')}=v", wrong);
            Check($"{name.Replace('k', '\u212A')}=v", wrong);
            Check($"%25{(int)name[0]:X2}{tail}=v", wrong);
        }

        Assert.Empty(wrong);
    }

    [Theory]
    [InlineData("code=SYSTEMKEY")]
    [InlineData("CODE=SYSTEMKEY")]
    [InlineData("cOdE=SYSTEMKEY")]
    [InlineData("%63ode=SYSTEMKEY")]
    [InlineData("%43%4F%44%45=SYSTEMKEY")]
    [InlineData("c%6fde=SYSTEMKEY")]
    [InlineData("+code=SYSTEMKEY")]
    [InlineData("code+=SYSTEMKEY")]
    [InlineData("taskHub=Hub")]
    [InlineData("TASKHUB=Hub")]
    [InlineData("%74askHub=Hub")]
    [InlineData("connection=Storage")]
    [InlineData("Connection=Storage")]
    [InlineData("%63onnection=Storage")]
    public void A_hidden_parameter_never_comes_out_in_a_link_nor_passes_from_a_caller(string parameter)
    {
        var query = $"reason=r&{parameter}&showHistory=true";
        var buffer = new char[2 * query.Length];

        var (visible, hidden) = CallerParameters.Split(query, buffer.AsSpan(0, query.Length), buffer.AsSpan(query.Length));

        Assert.Equal("reason=r&showHistory=true", new string(buffer, 0, visible));
        Assert.Equal(parameter, new string(buffer, query.Length, hidden));
        Assert.Equal("reason=r&showHistory=true", CallerParameters.Filter(query));
    }

    private static void Check(string parameter, List<string> wrong)
    {
        var equals = parameter.IndexOf('=', StringComparison.Ordinal);
        var decoded = Uri.UnescapeDataString(parameter[..equals].Replace('+', ' '));
        var callers = s_allowed.Contains(decoded, StringComparer.OrdinalIgnoreCase);
        var buffer = new char[2 * parameter.Length];

        var (visible, hidden) = CallerParameters.Split(parameter, buffer.AsSpan(0, parameter.Length), buffer.AsSpan(parameter.Length));
        var filtered = CallerParameters.Filter(parameter);

        if ((visible > 0) != callers || (hidden > 0) == callers || (filtered.Length > 0) != callers)
        {
            wrong.Add($"{parameter} (U+{(int)parameter[0]:X4}): visible {visible}, hidden {hidden}, filtered '{filtered}', the caller's: {callers}");
        }
    }
}
