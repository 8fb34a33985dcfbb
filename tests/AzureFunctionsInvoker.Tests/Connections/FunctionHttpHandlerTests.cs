using System.Net;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace AzureFunctionsInvoker.Tests.Connections;

/// <summary>
/// The handler's pools against a stand-in function on loopback. A test plays the part of a function's target source
/// (leasing the current settings, a reload leasing the new ones and releasing the old) and of the forwarder (disposing
/// each request after its response).
/// </summary>
public sealed class FunctionHttpHandlerTests : IAsyncLifetime
{
    private const string Client = "AzureFunctionsInvoker.orders";
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    private readonly LiveConnectionSettings _live = new();
    private readonly StepTimeout _timeout = new(TimeSpan.FromMinutes(10), new FakeTimeProvider(), CancellationToken.None);
    private readonly FunctionHttpHandler _handler;
    private readonly HttpMessageInvoker _invoker;
    private StandInFunction _function = null!;

    public FunctionHttpHandlerTests()
    {
        _handler = new FunctionHttpHandler(_live, Client);
        _invoker = new HttpMessageInvoker(_handler);
    }

    public async Task InitializeAsync() => _function = await StandInFunction.StartAsync();

    public async Task DisposeAsync()
    {
        _invoker.Dispose();
        _timeout.Dispose();
        await _function.DisposeAsync();
    }

    [Fact]
    public async Task Fifty_reloads_that_change_keepalive_leave_only_the_pool_in_use()
    {
        var current = _live.Lease(Client, Keepalive(1));
        await SendAsync(Keepalive(1));

        for (var keepalive = 2; keepalive <= 51; keepalive++)
        {
            current = Reload(current, Keepalive(keepalive));
            Assert.Equal(0, _handler.PoolCount); // the replaced pool had no request left

            await SendAsync(Keepalive(keepalive));
            Assert.Equal(1, _handler.PoolCount);
        }

        current.Dispose();
        Assert.Equal(0, _handler.PoolCount);
    }

    [Fact]
    public async Task A_pool_a_reload_replaced_lives_until_its_request_in_flight_is_done()
    {
        var current = _live.Lease(Client, Keepalive(1));
        var inFlight = Request("lockstep-download", Keepalive(1));
        var response = await _invoker.SendAsync(inFlight, CancellationToken.None);
        var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(s_bound);

        current = Reload(current, Keepalive(2));
        await SendAsync(Keepalive(2));
        var whileDownloading = _handler.PoolCount;
        _function.Proceed.SetResult();
        var rest = new MemoryStream();
        await body.CopyToAsync(rest).WaitAsync(s_bound);
        var afterTheBody = _handler.PoolCount;
        response.Dispose();
        inFlight.Dispose();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1024, rest.Length);
        Assert.Equal(2, whileDownloading);
        Assert.Equal(2, afterTheBody); // a request holds its pool until it is disposed, after its response
        Assert.Equal(1, _handler.PoolCount);
        current.Dispose();
    }

    [Fact]
    public async Task Settings_back_in_use_before_their_last_request_ended_keep_their_pool()
    {
        var current = _live.Lease(Client, Keepalive(1));
        using var inFlight = Request("lockstep-download", Keepalive(1));
        var response = await _invoker.SendAsync(inFlight, CancellationToken.None);

        current = Reload(current, Keepalive(2));
        current = Reload(current, Keepalive(1));
        _function.Proceed.SetResult();
        await response.Content.ReadAsByteArrayAsync().WaitAsync(s_bound);
        response.Dispose();
        inFlight.Dispose();

        Assert.Equal(1, _handler.PoolCount);
        current.Dispose();
        Assert.Equal(0, _handler.PoolCount);
    }

    [Fact]
    public async Task A_request_whose_settings_a_reload_replaced_before_it_was_sent_leaves_no_pool_behind()
    {
        using var current = _live.Lease(Client, Keepalive(2));

        await SendAsync(Keepalive(1)); // it read the target before the reload

        Assert.Equal(0, _handler.PoolCount);
    }

    [Fact]
    public async Task Settings_a_target_of_another_client_uses_keep_no_pool_of_this_one()
    {
        using var other = _live.Lease("AzureFunctionsInvoker.billing", Keepalive(1));

        await SendAsync(Keepalive(1));

        Assert.Equal(0, _handler.PoolCount);
    }

    [Fact]
    public async Task A_request_the_app_built_itself_goes_through_the_defaults_pool_whatever_reloads()
    {
        var current = _live.Lease(Client, Keepalive(1));

        for (var keepalive = 2; keepalive <= 3; keepalive++)
        {
            current = Reload(current, Keepalive(keepalive));
            using var own = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{_function.Port}/api/echo");
            own.Headers.Add("x-functions-key", _function.Key);
            using var response = await _invoker.SendAsync(own, CancellationToken.None);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        Assert.Equal(0, _handler.PoolCount);
        current.Dispose();
    }

    [Fact]
    public async Task Requests_sent_while_the_settings_reload_all_complete_and_leave_only_the_live_pool()
    {
        var keepalive = 1;
        var current = _live.Lease(Client, Keepalive(keepalive));
        using var reloading = new CancellationTokenSource();
        using var sent = new SemaphoreSlim(0);

        // Each sender reads the current settings as a request starting now would, racing the reloads.
        var senders = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!reloading.IsCancellationRequested)
            {
                await SendAsync(Keepalive(Volatile.Read(ref keepalive)));
                sent.Release();
            }
        })).ToArray();
        for (var next = 2; next <= 51; next++)
        {
            await sent.WaitAsync(s_bound); // requests go out between every two reloads

            // In NamedProxy.Source's order: the new settings leased, made current, the old released.
            var lease = _live.Lease(Client, Keepalive(next));
            Volatile.Write(ref keepalive, next);
            current.Dispose();
            current = lease;
        }

        await reloading.CancelAsync();
        await Task.WhenAll(senders).WaitAsync(s_bound);
        var afterTheRace = _handler.PoolCount;
        await SendAsync(Keepalive(51));

        Assert.InRange(afterTheRace, 0, 1);
        Assert.Equal(1, _handler.PoolCount);
        current.Dispose();
        Assert.Equal(0, _handler.PoolCount);
    }

    [Fact]
    public void Pools_connections_with_the_plugins_keepalive_and_forwards_untouched()
    {
        using var handler = new ConnectionSettings(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(600), VerifyCertificate: true).CreateHandler();

        Assert.Equal(TimeSpan.FromSeconds(60), handler.PooledConnectionIdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(600), handler.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMinutes(5), handler.PooledConnectionLifetime);
        Assert.NotNull(handler.ConnectCallback);
        Assert.False(handler.UseProxy);
        Assert.False(handler.UseCookies);
        Assert.False(handler.AllowAutoRedirect);
        Assert.Equal(DecompressionMethods.None, handler.AutomaticDecompression);
        Assert.Null(handler.SslOptions.RemoteCertificateValidationCallback);
    }

    [Fact]
    public void Accepts_any_certificate_only_when_https_verify_is_off()
    {
        using var handler = new ConnectionSettings(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), VerifyCertificate: false).CreateHandler();

        Assert.True(handler.SslOptions.RemoteCertificateValidationCallback!(this, null, null, System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors));
    }

    [Fact]
    public void Settings_follow_the_options_units()
    {
        var settings = ConnectionSettings.From(new AzureFunctionProxyOptions { Keepalive = 1500, Timeout = 2500, HttpsVerify = false });

        Assert.Equal(new ConnectionSettings(TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2500), false), settings);
    }

    private static ConnectionSettings Keepalive(int seconds) => new(TimeSpan.FromSeconds(seconds), TimeSpan.FromMinutes(10), VerifyCertificate: true);

    // What a reload does to a function's target source: the new settings leased before the old are released.
    private IDisposable Reload(IDisposable current, ConnectionSettings next)
    {
        var lease = _live.Lease(Client, next);
        current.Dispose();
        return lease;
    }

    private FunctionHttpHandler.FunctionRequestMessage Request(string function, ConnectionSettings settings)
    {
        var request = new FunctionHttpHandler.FunctionRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{_function.Port}/api/{function}"), settings, _timeout);
        request.Headers.Add("x-functions-key", _function.Key);
        return request;
    }

    // As the forwarder does: the response, then the request, are disposed once the body was read.
    private async Task SendAsync(ConnectionSettings settings)
    {
        using var request = Request("echo", settings);
        using var response = await _invoker.SendAsync(request, CancellationToken.None).WaitAsync(s_bound);
        await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
