using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Infrastructure;

/// <summary>
/// A stand-in function and a proxy app in front of it, each on its own Kestrel on 127.0.0.1 with a port the
/// OS picked, and a caller <see cref="HttpClient"/>. The proxy runs the test's own middleware, if any, then mounts
/// the function at <c>/mytest</c>, answers
/// <c>/other</c> itself, and logs everything at Trace into <see cref="Logs"/>. The function key is a random one
/// unless the test sets its own, and disposing asserts that neither it nor the stand-in's key was ever logged,
/// so every test that uses the environment is also a key-leak test.
/// </summary>
public sealed class ProxyEnvironment : IAsyncDisposable
{
    private readonly WebApplication _proxy;

    private ProxyEnvironment(StandInFunction function, WebApplication proxy, CapturingLoggerProvider logs, AzureFunctionProxyOptions options)
    {
        Function = function;
        _proxy = proxy;
        Logs = logs;
        Options = options;
        ProxyPort = LoopbackApp.Port(proxy);
        Caller = LoopbackApp.Caller(ProxyPort);
    }

    public StandInFunction Function { get; }

    public CapturingLoggerProvider Logs { get; }

    public AzureFunctionProxyOptions Options { get; }

    public HttpClient Caller { get; }

    public int ProxyPort { get; }

    /// <summary>The proxy app's services, e.g. its <c>IMeterFactory</c>.</summary>
    public IServiceProvider Services => _proxy.Services;

    public static async Task<ProxyEnvironment> StartAsync(
        string functionName,
        Action<AzureFunctionProxyOptions>? configure = null,
        Action<WebApplicationBuilder>? configureProxy = null,
        Action<WebApplication>? configurePipeline = null,
        X509Certificate2? functionCertificate = null,
        bool http2Caller = false, // plain-text HTTP/2 with prior knowledge, as gRPC-style callers speak it
        bool keepLogs = true) // false: long runs check each line for the key as it is logged, keeping none
    {
        var function = await StandInFunction.StartAsync(functionCertificate);
        var options = new AzureFunctionProxyOptions
        {
            AppName = "127.0.0.1",
            HostDomain = string.Empty,
            Port = function.Port,
            Https = functionCertificate is not null,
            FunctionName = functionName,
            ApiKey = function.Key,
        };
        configure?.Invoke(options);

        var logs = new CapturingLoggerProvider(keepLogs);
        logs.Watch(function.Key);
        logs.Watch(function.SystemKey);
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            logs.Watch(options.ApiKey);
        }

        var builder = LoopbackApp.CreateBuilder(logs, http2Caller ? HttpProtocols.Http2 : HttpProtocols.Http1);
        builder.Services.AddAzureFunctionProxy();
        configureProxy?.Invoke(builder);

        var proxy = builder.Build();
        configurePipeline?.Invoke(proxy);
        proxy.UseAzureFunctionProxy("/mytest", options);
        proxy.Run(context => context.Response.WriteAsync("pipeline"));
        await proxy.StartAsync();
        return new ProxyEnvironment(function, proxy, logs, options);
    }

    /// <summary>Sends <paramref name="pathAndQuery"/> exactly as written, with no client-side normalisation.</summary>
    public Task<HttpResponseMessage> SendRawPathAsync(HttpMethod method, string pathAndQuery, HttpContent? content = null) =>
        Caller.SendAsync(new HttpRequestMessage(method, new Uri($"http://127.0.0.1:{ProxyPort}{pathAndQuery}", new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }))
        {
            Content = content,
        });

    /// <summary>
    /// A cold first exchange (JIT, first connection) may outlast a short timeout; tests that time what follows
    /// send <paramref name="path"/> until it succeeds first.
    /// </summary>
    public async Task WarmUpAsync(string path)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var response = await Caller.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }

        Assert.Fail("The proxy never answered the warm-up request.");
    }

    public async ValueTask DisposeAsync()
    {
        Caller.Dispose();
        await _proxy.StopAsync();
        await _proxy.DisposeAsync();
        await Function.DisposeAsync();

        Logs.AssertNeverLogged(Function.Key);
        Logs.AssertNeverLogged(Function.SystemKey);
        if (!string.IsNullOrEmpty(Options.ApiKey))
        {
            Logs.AssertNeverLogged(Options.ApiKey);
        }
    }
}
