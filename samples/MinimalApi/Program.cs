using AzureFunctionsInvoker;
using MinimalApi;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddAzureFunctionProxy();
builder.Services.AddProblemDetails();

// Keys are the option names: AzureFunction:AppName in appsettings.json, AzureFunction__AppName in the environment.
var options = builder.Configuration.GetSection("AzureFunction").Get<AzureFunctionProxyOptions>() ?? new();

// No Function App configured: serve the demo "hello" function from this process and forward to it.
await using var demo = string.IsNullOrEmpty(options.AppName) ? await DemoFunction.StartAsync(options) : null;

var app = builder.Build();
app.UseAzureFunctionProxy("/mytest", options);
app.MapGet("/", () => "Try /mytest?name=Kong: it is forwarded to the Azure Function.");

await app.RunAsync();
