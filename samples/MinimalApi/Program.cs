using System.Threading.RateLimiting;
using AzureFunctionsInvoker;
using Microsoft.AspNetCore.Authentication;
using MinimalApi;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = WebApplication.CreateBuilder(args);

// Two functions and an app mount from appsettings.json (AzureFunctions:Hello, AzureFunctions:Orders, and
// AzureFunctions:Shop, whose Functions are orders and invoices), reloaded when it changes. A function whose AppName is
// empty is served by the embedded demo Function App instead, so the sample answers with no Azure account.
string[] names = ["Hello", "Orders", "Shop"];
await using var demo = await DemoFunction.StartIfNeededAsync(builder.Configuration.GetSection("AzureFunctions"), names, builder.Configuration.GetSection("Demo"));
foreach (var name in names)
{
    builder.Services.AddAzureFunctionProxy(name, builder.Configuration.GetSection($"AzureFunctions:{name}"));
    builder.Services.PostConfigure<AzureFunctionProxyOptions>(name, options => demo?.Serve(options));
}

// An Azure Functions Proxies proxies.json, served as it ran on Azure (docs/proxies.md): FunctionsProxies:File names the
// file (edits apply without a restart), and a backendUri on localhost is the Function App of
// FunctionsProxies:LocalFunctionApp, here Hello's (the demo's when Hello names no host).
builder.Services.AddFunctionsProxies(builder.Configuration.GetSection("FunctionsProxies"));

builder.Services.AddProblemDetails();

// Several instances behind a load balancer (docs/scale-out.md): ConnectionStrings:Redis shares the Data Protection
// keys of Durable links and the output cache of /cached; without it both stay on this instance.
builder.AddScaleOut();

// /orders is for callers with an API key (X-Api-Key); in production this is JWT bearer or Entra ID authentication.
builder.Services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
    .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
builder.Services.AddAuthorization(authorization => authorization.AddPolicy("orders", policy => policy.RequireAuthenticatedUser()));

// /mytest allows each client address RateLimit:PermitLimit requests per RateLimit:WindowSeconds; then 429.
builder.Services.AddRateLimiter(limiter =>
{
    limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    limiter.AddPolicy("per-client", context => RateLimitPartition.GetFixedWindowLimiter(
        context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
        _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = builder.Configuration.GetValue("RateLimit:PermitLimit", 100),
            Window = TimeSpan.FromSeconds(builder.Configuration.GetValue("RateLimit:WindowSeconds", 1)),
        }));
});

builder.Services.AddHealthChecks()
    .AddAzureFunctionProxyCheck("Hello")
    .AddAzureFunctionProxyCheck("Orders")
    .AddAzureFunctionProxyCheck("Shop");

// Traces and metrics of the proxy (and of ASP.NET Core) on the console: Telemetry:ConsoleExporter=true.
if (builder.Configuration.GetValue<bool>("Telemetry:ConsoleExporter"))
{
    builder.Services.AddOpenTelemetry()
        .WithTracing(tracing => tracing.AddSource("AzureFunctionsInvoker", "Microsoft.AspNetCore").AddConsoleExporter())
        .WithMetrics(metrics => metrics.AddMeter("AzureFunctionsInvoker", "Microsoft.AspNetCore.Hosting").AddConsoleExporter());
}

var app = builder.Build();
app.UseRateLimiter();
app.UseOutputCache();
app.MapAzureFunctionProxy("/mytest/{**rest}", "Hello").RequireRateLimiting("per-client");

// Hello again, its GET answers cached for 10 seconds per query string: the second
// curl 'http://localhost:5000/cached?name=Kong' within 10 s is served from the cache (an Age header says so), the
// function is not called. Durable links and starts under it are never cached.
app.MapAzureFunctionProxy("/cached/{**rest}", "Hello")
    .CacheOutput(policy => policy.Expire(TimeSpan.FromSeconds(10)).SetVaryByQuery("*"));
app.MapAzureFunctionProxy("/orders/{**rest}", "Orders").RequireAuthorization("orders");

// Every function AzureFunctions:Shop:Functions lists, by name: /shop/orders/42 calls orders, /shop/invoices calls
// invoices, and any other name is 404 without a call.
app.MapAzureFunctionProxy("/shop/{function}/{**rest}", "Shop");
app.MapFunctionsProxies();
app.MapHealthChecks("/health");
app.MapGet("/", () => "Try /mytest?name=Kong, /orders with an X-Api-Key header, or /shop/orders/42 and /shop/invoices: all are forwarded to Azure Functions. proxies.json serves /proxies/greet/Kong, /proxies/orders/42 and /proxies/docs.");

await app.RunAsync();
