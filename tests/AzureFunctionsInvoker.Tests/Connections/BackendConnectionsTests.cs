using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Time.Testing;
using FunctionRequestMessage = AzureFunctionsInvoker.Connections.FunctionHttpHandler.FunctionRequestMessage;

namespace AzureFunctionsInvoker.Tests.Connections;

/// <summary>
/// <see cref="BackendConnections"/> as a <see cref="SocketsHttpHandler"/>'s connect callback, on 127.0.0.1. The budget
/// shared by many requests over the proxy: Integration/ConnectionBudgetTests.
/// </summary>
public sealed class BackendConnectionsTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_connection_that_comes_up_after_a_wait_for_the_budget_starts_the_requests_Timeout_again()
    {
        await using var budget = await BudgetOfOne.StartAsync();
        var (request, timeout, second) = await budget.QueueBehindAHeldRequestAsync();

        // Most of its Timeout goes by waiting; then the first connection closes, and the second one is made.
        budget.Time.Advance(s_timeout * 0.6);
        await budget.AnswerHeldRequestAsync(closeAfter: true);

        var secondArrived = await budget.ArrivedAsync();
        Assert.Equal(2, budget.Function.ConnectionsMade);
        Assert.False(request.WaitingForConnection);
        var wait = Assert.Single(budget.Waits.GetMeasurementSnapshot());
        Assert.Equal("127.0.0.1", wait.Tags["server.address"]);
        Assert.Equal(budget.Function.Port, wait.Tags["server.port"]);
        Assert.False(wait.Tags.ContainsKey("error.type"));

        // Timed from the connection, not from the send: 1.2 Timeouts since the send, 0.6 since the connection.
        budget.Time.Advance(s_timeout * 0.6);
        Assert.False(timeout.IsCancellationRequested);
        budget.Time.Advance(s_timeout * 0.5);
        Assert.True(timeout.HasExpired);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(s_bound));
        secondArrived.SetResult(false);
    }

    // The request runs out of Timeout; its connection attempt goes on waiting until the connection handler gives it up
    // (5 s after the request ended, SocketsHttpHandler's PendingConnectionTimeoutOnRequestCompletion), and only then is
    // the wait recorded.
    [Fact]
    public async Task A_wait_for_the_budget_that_outlasts_Timeout_is_recorded_as_exhausted_and_connects_nothing()
    {
        await using var budget = await BudgetOfOne.StartAsync();
        var (request, _, second) = await budget.QueueBehindAHeldRequestAsync();

        budget.Time.Advance(s_timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(s_bound));
        await Eventually.HoldsAsync(() => budget.Waits.GetMeasurementSnapshot().Count > 0, s_bound, "the wait was recorded");

        var wait = Assert.Single(budget.Waits.GetMeasurementSnapshot());
        Assert.Equal(ConnectionInstruments.BudgetExhausted, wait.Tags["error.type"]);
        Assert.Equal(budget.Function.Port, wait.Tags["server.port"]);
        Assert.True(request.WaitingForConnection);

        // The budget still held by the first connection, the attempt given up made none.
        await budget.AnswerHeldRequestAsync(closeAfter: false);
        Assert.Equal(1, budget.Function.ConnectionsMade);
    }

    // SocketsHttpHandler serves a waiting request on whichever connection comes free first: here the held request's,
    // kept alive, while the second request's own attempt goes on waiting for the budget that connection holds. The
    // request went out, so a Timeout that runs out now is the function's, and the attempt given up is no wait of its.
    [Fact]
    public async Task A_request_served_by_a_connection_another_request_freed_no_longer_waits_for_the_budget()
    {
        await using var budget = await BudgetOfOne.StartAsync();
        var (request, timeout, second) = await budget.QueueBehindAHeldRequestAsync();

        await budget.AnswerHeldRequestAsync(closeAfter: false);
        var secondArrived = await budget.ArrivedAsync();

        Assert.Equal(1, budget.Function.ConnectionsMade);
        Assert.False(request.WaitingForConnection);
        Assert.True(timeout.Sent);

        // The function is slow past Timeout; cancelling the request closes the connection it was on, which lets the
        // attempt through, and its wait is recorded as one that got a connection.
        budget.Time.Advance(s_timeout);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second.WaitAsync(s_bound));
        Assert.False(request.WaitingForConnection);
        await Eventually.HoldsAsync(() => budget.Waits.GetMeasurementSnapshot().Count > 0, s_bound, "the attempt's wait ended");
        Assert.All(budget.Waits.GetMeasurementSnapshot(), wait => Assert.False(wait.Tags.ContainsKey("error.type")));
        secondArrived.TrySetResult(false);
    }

    // A TLS handshake the function hangs up on: each connection is closed before TLS settled its protocol, so the
    // plaintext filter, which lets go of the request a connection was made for, never sees it.
    [Fact]
    public async Task A_connection_closed_before_TLS_settled_it_lets_go_of_its_request()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var hangingUp = HangUpAsync(listener, connections: 2);
        var connections = new BackendConnections(maxConnections: 1, instruments: null);
        using var invoker = new HttpMessageInvoker(new SocketsHttpHandler { ConnectCallback = connections.ConnectAsync, PlaintextStreamFilter = connections.SettleAsync });
        var uri = new Uri($"https://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}/");

        // Twice: the first connection gave its budget of one back as it closed.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            var failed = await Assert.ThrowsAsync<HttpRequestException>(() => invoker.SendAsync(request, CancellationToken.None).WaitAsync(s_bound));
            Assert.Equal(HttpRequestError.SecureConnectionError, failed.HttpRequestError);
            Assert.Equal(0, connections.UnsettledCount);
        }

        await hangingUp.WaitAsync(s_bound);
        listener.Stop();
    }

    [Fact]
    public async Task A_connect_that_fails_gives_its_budget_back()
    {
        // A port nothing listens on: each connect is refused at once. With a budget of one, a refused connect that kept
        // its share would leave the next attempt waiting for a connection that never closes.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var connections = new BackendConnections(maxConnections: 1, instruments: null);
        using var client = new HttpClient(new SocketsHttpHandler { ConnectCallback = connections.ConnectAsync }) { Timeout = TimeSpan.FromSeconds(30) };

        for (var attempt = 0; attempt < 3; attempt++)
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/"));
            Assert.Equal(SocketError.ConnectionRefused, Assert.IsType<SocketException>(refused.InnerException).SocketErrorCode);
        }
    }

    [Fact]
    public async Task A_connection_closed_twice_gives_its_budget_back_once()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var served = ServeOneResponseAsync(listener);
        var connections = new BackendConnections(maxConnections: 1, instruments: null);
        Stream? connection = null;
        using var client = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) => connection = await connections.ConnectAsync(context, cancellationToken),
        });

        using (var response = await client.GetAsync($"http://127.0.0.1:{port}/"))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }

        await served;
        listener.Stop();

        // The handler may close it too: however often it is closed, the budget of one is given back once.
        connection!.Dispose();
        connection.Dispose();
    }

    private static async Task HangUpAsync(TcpListener listener, int connections)
    {
        for (var i = 0; i < connections; i++)
        {
            using var socket = await listener.AcceptSocketAsync();
        }
    }

    // A function on a raw socket: one HTTP/1.1 response, then it closes the connection.
    private static async Task ServeOneResponseAsync(TcpListener listener)
    {
        using var socket = await listener.AcceptSocketAsync();
        var request = new byte[4096];
        var read = 0;
        while (!System.Text.Encoding.ASCII.GetString(request, 0, read).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            read += await socket.ReceiveAsync(request.AsMemory(read));
        }

        await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray());
    }

    /// <summary>
    /// A handler whose connections <see cref="BackendConnections"/> makes with a budget of one, to a function that holds
    /// each request until the test lets it answer (closing the connection after, or not), on a fake clock for the
    /// requests' Timeout and a meter of its own.
    /// </summary>
    private sealed class BudgetOfOne : IAsyncDisposable
    {
        // The pool's handler as the proxy makes it, with a budget of one and no connect timeout of its own.
        private static readonly ConnectionSettings s_settings = new(TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan, VerifyCertificate: true, MaxConnections: 1);

        private readonly Channel<TaskCompletionSource<bool>> _arrivals = Channel.CreateUnbounded<TaskCompletionSource<bool>>();
        private readonly Meter _meter = new("BackendConnectionsTests");
        private readonly HttpMessageInvoker _invoker;
        private readonly List<IDisposable> _timeouts = [];
        private Task<HttpResponseMessage>? _held;
        private TaskCompletionSource<bool>? _heldAnswer;

        private BudgetOfOne()
        {
            var open = _meter.CreateUpDownCounter<long>("open");
            var waits = _meter.CreateHistogram<double>("waits");
            Waits = new MetricCollector<double>(waits);
            _invoker = new HttpMessageInvoker(s_settings.CreateHandler(new ConnectionInstruments(open, waits)));
        }

        public ConnectionCountingFunction Function { get; private set; } = null!;

        public Uri Uri => new($"http://127.0.0.1:{Function.Port}/");

        public FakeTimeProvider Time { get; } = new();

        public MetricCollector<double> Waits { get; }

        public static async Task<BudgetOfOne> StartAsync()
        {
            var budget = new BudgetOfOne();
            budget.Function = await ConnectionCountingFunction.StartAsync(budget.AnswerAsync);
            return budget;
        }

        /// <summary>
        /// Sends a request and holds it at the function, on the budget's one connection; then sends a forwarded request
        /// with a Timeout of ten seconds on <see cref="Time"/>, started, and returns once its connection waits for the budget.
        /// </summary>
        public async Task<(FunctionRequestMessage Request, StepTimeout Timeout, Task<HttpResponseMessage> Sending)> QueueBehindAHeldRequestAsync()
        {
            _held = _invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, Uri), CancellationToken.None);
            _heldAnswer = await ArrivedAsync();

            var timeout = new StepTimeout(s_timeout, Time, CancellationToken.None);
            _timeouts.Add(timeout);
            var request = new FunctionRequestMessage(HttpMethod.Get, Uri, s_settings, timeout);

            // A header, as a forwarded request has (X-Forwarded-*, by default): writing it is how the handler says it sent the request.
            request.Headers.Add("X-Forwarded-Proto", "http");
            timeout.Restart();
            var sending = _invoker.SendAsync(request, timeout.Token);
            await Eventually.HoldsAsync(() => request.WaitingForConnection, s_bound, "the second request's connection waits for the budget");
            return (request, timeout, sending);
        }

        /// <summary>Lets the function answer the held request, closing its connection after or not, and reads the answer.</summary>
        public async Task AnswerHeldRequestAsync(bool closeAfter)
        {
            _heldAnswer!.SetResult(closeAfter);
            using var answered = await _held!.WaitAsync(s_bound);
            Assert.Equal("ok", await answered.Content.ReadAsStringAsync());
        }

        /// <summary>The next request to arrive at the function: set it to answer, closing the connection after (true) or not.</summary>
        public async Task<TaskCompletionSource<bool>> ArrivedAsync() => await _arrivals.Reader.ReadAsync().AsTask().WaitAsync(s_bound);

        public async ValueTask DisposeAsync()
        {
            _invoker.Dispose();
            await Function.DisposeAsync();
            Waits.Dispose();
            _meter.Dispose();
            _timeouts.ForEach(t => t.Dispose());
        }

        private async Task AnswerAsync(HttpContext context)
        {
            var answer = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _arrivals.Writer.TryWrite(answer);
            if (await answer.Task.WaitAsync(context.RequestAborted))
            {
                context.Response.Headers.Connection = "close";
            }

            await context.Response.WriteAsync("ok");
        }
    }
}
