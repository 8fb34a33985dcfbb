using System.Collections.Concurrent;
using System.Net;
using AzureFunctionsInvoker.Authentication;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Moq;
using RichardSzalay.MockHttp;

namespace AzureFunctionsInvoker.Tests.Authentication;

/// <summary>The provider's token on each forwarded request, read from what the function's handler received.</summary>
public sealed class BearerTokenHandlerTests : IDisposable
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly Uri s_function = new("https://myapp.azurewebsites.net/api/hello/x?y=1");
    private readonly MockHttpMessageHandler _function = new();
    private readonly ConcurrentQueue<Received> _received = new();

    public BearerTokenHandlerTests()
    {
        _function.When("*").Respond(async request =>
        {
            _received.Enqueue(new(
                request.Method,
                request.RequestUri,
                Values(request, "Authorization"),
                Values(request, "X-Custom"),
                request.Content is null ? null : await request.Content.ReadAsStringAsync()));
            return new HttpResponseMessage(HttpStatusCode.Accepted);
        });
    }

    [Theory]
    [InlineData]
    [InlineData("Basic Y2FsbGVyOnNlY3JldA==")]
    [InlineData("Bearer the-callers-token", "Basic Y2FsbGVyOnNlY3JldA==")]
    public async Task The_providers_token_replaces_the_callers_authorization_and_the_rest_goes_as_sent(params string[] callersAuthorization)
    {
        using var invoker = Invoker(new FakeTokenProvider("the-token"));
        using var request = new HttpRequestMessage(HttpMethod.Post, s_function) { Content = new StringContent("the body") };
        request.Headers.TryAddWithoutValidation("Authorization", callersAuthorization);
        request.Headers.Add("X-Custom", "custom");

        using var response = await invoker.SendAsync(request, CancellationToken.None);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var received = Assert.Single(_received);
        Assert.Equal(["Bearer the-token"], received.Authorization);
        Assert.Equal(HttpMethod.Post, received.Method);
        Assert.Equal(s_function, received.Uri);
        Assert.Equal(["custom"], received.Custom);
        Assert.Equal("the body", received.Body);
    }

    [Fact]
    public async Task Each_request_asks_the_provider_for_a_token_with_its_own_cancellation_token()
    {
        var asked = new List<CancellationToken>();
        var provider = new Mock<IAzureFunctionTokenProvider>(MockBehavior.Strict);
        provider.Setup(p => p.GetTokenAsync(It.IsAny<CancellationToken>())).Returns((CancellationToken token) =>
        {
            asked.Add(token);
            return ValueTask.FromResult($"token-{asked.Count}");
        });
        using var invoker = Invoker(provider.Object);
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();

        using var firstResponse = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, s_function), first.Token);
        using var secondResponse = await invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, s_function), second.Token);

        Assert.Equal([first.Token, second.Token], asked);
        Assert.Equal([["Bearer token-1"], ["Bearer token-2"]], _received.Select(r => r.Authorization));
    }

    [Fact]
    public async Task A_provider_that_fails_fails_the_request_with_its_exception_and_nothing_is_sent()
    {
        using var invoker = Invoker(new FakeTokenProvider(null));

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, s_function), CancellationToken.None));

        var cause = Assert.IsType<InvalidOperationException>(error.InnerException);
        Assert.Equal(FakeTokenProvider.FailureMessage, cause.Message);
        Assert.Empty(_received);
    }

    [Fact]
    public async Task A_request_cancelled_while_the_provider_works_is_a_cancellation_and_nothing_is_sent()
    {
        var asked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new Mock<IAzureFunctionTokenProvider>(MockBehavior.Strict);
        provider.Setup(p => p.GetTokenAsync(It.IsAny<CancellationToken>())).Returns(async (CancellationToken token) =>
        {
            asked.SetResult();
            await Task.Delay(Timeout.Infinite, token);
            return "never";
        });
        using var invoker = Invoker(provider.Object);
        using var caller = new CancellationTokenSource();

        var sending = invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, s_function), caller.Token);
        await asked.Task.WaitAsync(s_bound);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sending.WaitAsync(s_bound));
        Assert.Empty(_received);
    }

    public void Dispose() => _function.Dispose();

    private static string[] Values(HttpRequestMessage request, string header) =>
        request.Headers.TryGetValues(header, out var values) ? [.. values] : [];

    private HttpMessageInvoker Invoker(IAzureFunctionTokenProvider provider) =>
        new(new BearerTokenHandler(provider) { InnerHandler = _function });

    private sealed record Received(HttpMethod Method, Uri? Uri, string[] Authorization, string[] Custom, string? Body);
}
