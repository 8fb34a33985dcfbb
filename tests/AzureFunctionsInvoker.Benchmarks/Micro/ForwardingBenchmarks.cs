using System.Net.Http.Headers;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace AzureFunctionsInvoker.Benchmarks.Micro;

/// <summary>
/// One proxied request through a real middleware pipeline (a <c>/mytest</c> branch, as an app mounts it) to
/// <see cref="InMemoryFunction"/>: this library, YARP's <see cref="IHttpForwarder"/> doing the same forward, and
/// a direct call with no proxy, in one table. Each request builds its caller's context, the same for all three.
/// </summary>
[MemoryDiagnoser]
public class ForwardingBenchmarks
{
    private const string ApiKey = "benchmark-function-key";
    private const string FunctionPrefix = "https://app.azurewebsites.net/api/hello";

    private readonly DiscardStream _responseBody = new();
    private ServiceProvider _services = null!;
    private RequestDelegate _library = null!;
    private RequestDelegate _twoBackends = null!;
    private RequestDelegate _yarp = null!;
    private HttpMessageInvoker _direct = null!;

    [ParamsSource(nameof(Scenarios))]
    public Scenario Scenario { get; set; } = null!;

    public static IEnumerable<Scenario> Scenarios => Scenario.All;

    [GlobalSetup]
    public void Setup()
    {
        var function = new InMemoryFunction();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        services.AddHttpForwarder();
        services.AddAzureFunctionProxy().ConfigurePrimaryHttpMessageHandler(() => function);
        _services = services.BuildServiceProvider();

        var library = new ApplicationBuilder(_services);
        library.UseAzureFunctionProxy("/mytest", options =>
        {
            options.AppName = "app";
            options.FunctionName = "hello";
            options.ApiKey = ApiKey;
        });
        _library = library.Build();

        // The same function in two regions of equal priority and weight: each request takes its turn, lock-free.
        var twoBackends = new ApplicationBuilder(_services);
        twoBackends.UseAzureFunctionProxy("/mytest", options =>
        {
            options.FunctionName = "hello";
            options.ApiKey = ApiKey;
            options.Backends = [new() { AppName = "app-weu" }, new() { AppName = "app-neu" }];
        });
        _twoBackends = twoBackends.Build();

        var forwarder = _services.GetRequiredService<IHttpForwarder>();
        var yarpClient = new HttpMessageInvoker(function, disposeHandler: false);
        var transformer = new YarpTransformer(ApiKey);
        var yarp = new ApplicationBuilder(_services);
        yarp.Map("/mytest", branch => branch.Run(async context =>
            await forwarder.SendAsync(context, FunctionPrefix, yarpClient, ForwarderRequestConfig.Empty, transformer).ConfigureAwait(false)));
        _yarp = yarp.Build();

        _direct = new HttpMessageInvoker(function, disposeHandler: false);
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true, Description = "direct")]
    public async Task Direct()
    {
        var context = Scenario.CreateContext(_services, _responseBody);
        var request = context.Request;
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), FunctionPrefix + request.Path.Value![7..] + request.QueryString.Value);
        message.Headers.TryAddWithoutValidation("x-functions-key", ApiKey);
        if (Scenario.Body is not null)
        {
            message.Content = new StreamContent(request.Body);
            message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(request.ContentType!);
        }

        using var response = await _direct.SendAsync(message, context.RequestAborted).ConfigureAwait(false);
        context.Response.StatusCode = (int)response.StatusCode;
        await response.Content.CopyToAsync(context.Response.Body).ConfigureAwait(false);
    }

    [Benchmark(Description = "YARP IHttpForwarder")]
    public Task Yarp() => _yarp(Scenario.CreateContext(_services, _responseBody));

    [Benchmark(Description = "AzureFunctionsInvoker")]
    public Task Library() => _library(Scenario.CreateContext(_services, _responseBody));

    [Benchmark(Description = "AzureFunctionsInvoker, two backends")]
    public Task LibraryTwoBackends() => _twoBackends(Scenario.CreateContext(_services, _responseBody));
}
