using AzureFunctionsInvoker.DurableLinks;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

public sealed class CallerParametersTests
{
    [Theory]
    [InlineData("?showHistory=true", "showHistory=true")]
    [InlineData("?code=x&taskHub=h&connection=c&showInput=false", "showInput=false")]
    [InlineData("?c%6Fde=x&CODE=y&code%00=z&%63ode=w", "")]
    [InlineData("?reason=a%26code%3Dx", "reason=a%26code%3Dx")]
    [InlineData("?reason=a;code=x", "reason=a%3Bcode%3Dx")]
    [InlineData("?reason=two+words", "reason=two%20words")]
    [InlineData("?Reason=x&recursive", "Reason=x&recursive")]
    [InlineData("?other=1&returnInternalServerErrorOnFailure=true", "returnInternalServerErrorOnFailure=true")]
    [InlineData("?showHistoryOutput=true&restartWithNewInstanceId=false", "showHistoryOutput=true&restartWithNewInstanceId=false")]
    [InlineData("", "")]
    public void Keeps_only_the_parameters_Durable_documents_for_callers_re_encoded(string query, string expected) =>
        Assert.Equal(expected, CallerParameters.Filter(query));

    [Theory]
    [InlineData("reason={text}&taskHub=h&connection=c&code=k", "reason={text}", "taskHub=h&connection=c&code=k")]
    [InlineData("code=k", "", "code=k")]
    [InlineData("reason={{text}}&code=k&&", "reason={{text}}", "code=k")]
    [InlineData("api-version=2&showHistory=true", "showHistory=true", "api-version=2")]
    public void Splits_a_management_urls_query_into_what_the_caller_sees_and_what_is_hidden(string query, string visible, string hidden) =>
        Assert.Equal((visible, hidden), Split(query));

    [Theory]
    [InlineData("taskHub=h&code=k&connection=c")]
    [InlineData("%72eason=x&code=k")]
    [InlineData("+reason=x&showInput=true")]
    [InlineData("=x&Showhistory=true")]
    [InlineData("\u017Fhowhistory=true&\u0280eason=x&code=k")]
    public void A_name_is_the_callers_exactly_when_the_list_holds_it_decoded_whatever_its_first_character(string query)
    {
        // Hidden names are told apart by their first character before any lookup: the split must still be the list's,
        // a percent-encoded or non-ASCII first character (the long s folds to S) included.
        var allowed = new[] { "reason", "showHistory", "showHistoryOutput", "showInput", "returnInternalServerErrorOnFailure", "recursive", "restartWithNewInstanceId" };
        var parameters = query.Split('&');
        var expected = parameters.Where(parameter => allowed.Contains(Uri.UnescapeDataString(parameter.Split('=')[0].Replace('+', ' ')), StringComparer.OrdinalIgnoreCase));

        var (visible, hidden) = Split(query);

        Assert.Equal(string.Join('&', expected), visible);
        Assert.Equal(string.Join('&', parameters.Except(expected)), hidden);
    }

    private static (string Visible, string Hidden) Split(string query)
    {
        var buffer = new char[2 * query.Length];
        var (visible, hidden) = CallerParameters.Split(query, buffer.AsSpan(0, query.Length), buffer.AsSpan(query.Length));
        return (new string(buffer, 0, visible), new string(buffer, query.Length, hidden));
    }
}
