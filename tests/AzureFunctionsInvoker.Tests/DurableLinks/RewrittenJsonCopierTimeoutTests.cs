using System.Diagnostics.Metrics;
using System.Net;
using AzureFunctionsInvoker.DurableLinks;
using AzureFunctionsInvoker.Diagnostics;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Functions;
using AzureFunctionsInvoker.Tests.Infrastructure;
using AzureFunctionsInvoker.Validation;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Moq;

namespace AzureFunctionsInvoker.Tests.DurableLinks;

/// <summary>
/// A small JSON answer is read whole before the caller gets it (to rewrite Durable URLs in it): a function that sends
/// its headers and then stalls is timed out like any other body read, never waited on until the caller leaves.
/// </summary>
public sealed class RewrittenJsonCopierTimeoutTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task A_small_json_body_that_stalls_after_its_headers_is_function_timeout()
    {
        var body = new StallingStream();
        var content = new StreamContent(body);
        content.Headers.ContentType = new("application/json");
        content.Headers.ContentLength = 40;
        using var function = new AnsweringHandler(new HttpResponseMessage(HttpStatusCode.OK) { Content = content });
        var options = new AzureFunctionProxyOptions { AppName = "myapp", FunctionName = "hello" };
        var context = new DefaultHttpContext();
        context.Request.Method = "GET";
        context.Response.Body = new MemoryStream();

        var forwarding = Forwarder(function).ForwardAsync(context, BackendPool.Of(Target(options)), default, new Uri("https://myapp.azurewebsites.net/api/hello")).AsTask();
        await body.Reading.Task.WaitAsync(s_bound); // the headers are in: the JSON copier waits on the body
        _time.Advance(TimeSpan.FromMilliseconds(options.Timeout));

        Assert.Equal(ForwarderError.FunctionTimedOut, await forwarding.WaitAsync(s_bound));
        Assert.False(context.Response.HasStarted);
        Assert.Equal(0, context.Response.Body.Length);
    }

    // The one forward path over a pool of one, its response rewritten for a mount with Durable links.
    private PoolForwarder Forwarder(HttpMessageHandler function)
    {
        var handlers = new Mock<IHttpMessageHandlerFactory>();
        handlers.Setup(f => f.CreateHandler(FunctionForwarder.ClientName)).Returns(function);
        var metrics = new ProxyMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
        var exchange = new FunctionForwarder(handlers.Object, FunctionForwarder.ClientName, _time, NullLogger<FunctionForwarder>.Instance);
        var copier = new ResponseCopier(NullLogger.Instance, drain: null, new DurableLinkProtector(new EphemeralDataProtectionProvider(), "hello", _time));
        return new(exchange, copier, metrics, NullLogger.Instance);
    }

    private static Backend Target(AzureFunctionProxyOptions options) =>
        NamedProxy.Create(OptionsOrigin.Mounted(options.FunctionName, "/mytest"), options, NullLogger.Instance).Backend;

    /// <summary>A function that answers every request with the one response it was given.</summary>
    private sealed class AnsweringHandler(HttpResponseMessage response) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) => Task.FromResult(response);

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                response.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
