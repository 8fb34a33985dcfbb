using System.Text;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>
/// A management URL whose slashes are backslashes (<c>{origin}\runtime\webhooks\durabletask\...?code=KEY</c>), which
/// browsers and every WHATWG URL parser read as the management URL itself, never reaches the caller with its key: not
/// in a streamed body, not in a small JSON body the rewriter takes, not in a <c>Location</c> (attack6's finding).
/// </summary>
public sealed class BackslashSpellingTests
{
    private const string Key = "SYSTEMKEY";

    [Theory]
    [InlineData("text/html", "<a href=\"{origin}\\runtime\\webhooks\\durabletask\\instances\\abc?code=SYSTEMKEY\">status</a>")]
    [InlineData("application/json", "{\"u\":\"{origin}\\\\runtime\\\\webhooks\\\\durabletask\\\\instances\\\\abc?code=SYSTEMKEY\"}")]
    [InlineData("text/plain", "{origin}/runtime%5Cwebhooks\\u005Cdurabletask/instances/abc?code=SYSTEMKEY")]
    public async Task A_streamed_body_is_cut_before_the_key(string contentType, string template)
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        var body = Encoding.UTF8.GetBytes(new string(' ', 20_000) + template.Replace("{origin}", env.Function.Origin, StringComparison.Ordinal));
        env.Function.Answer = async context =>
        {
            context.Response.ContentType = contentType;
            await context.Response.Body.WriteAsync(body.AsMemory(0, 20_000));
            await context.Response.Body.FlushAsync();
            await context.Response.Body.WriteAsync(body.AsMemory(20_000));
        };

        string received;
        try
        {
            received = (await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest")).Received;
        }
        catch (HttpRequestException)
        {
            // Cut before its head (the proxy read the whole body at once): nothing arrived.
            received = "";
        }

        Assert.DoesNotContain(Key, received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_small_json_body_never_carries_the_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = FramedAnswer.Of(Encoding.UTF8.GetBytes(
            "{\"u\":\"" + env.Function.Origin + "\\\\runtime\\\\webhooks\\\\durabletask\\\\instances\\\\abc?code=SYSTEMKEY\"}"));

        var (_, received) = await CutResponse.ReadWhatArrivesAsync(env.Caller, "/mytest");

        Assert.DoesNotContain(Key, received, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_location_is_never_passed_on_with_the_key()
    {
        await using var env = await new ProxyHostBuilder().MountFunction("answer").StartAsync();
        env.Function.Answer = context =>
        {
            context.Response.StatusCode = 302;
            context.Response.Headers.Location = env.Function.Origin + "\\runtime\\webhooks\\durabletask\\instances\\abc?code=SYSTEMKEY";
            return Task.CompletedTask;
        };

        using var caller = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = env.Caller.BaseAddress };
        using var response = await caller.GetAsync("/mytest");

        Assert.DoesNotContain(Key, string.Join(",", response.Headers.Select(h => string.Join(",", h.Value))), StringComparison.Ordinal);
        Assert.DoesNotContain(Key, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
