using Azure.Core;
using Azure.Identity;
using EntraIdAuthentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

var builder = WebApplication.CreateBuilder(args);

// Which token to get, and with which identity (appsettings.json, "EntraId").
builder.Services.AddOptions<EntraIdTokenOptions>()
    .Bind(builder.Configuration.GetSection("EntraId"))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.TryAddSingleton(TimeProvider.System);
builder.Services.AddSingleton<TokenCredential>(services =>
    services.GetRequiredService<IOptions<EntraIdTokenOptions>>().Value.ManagedIdentityClientId is { Length: > 0 } clientId
        ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
        : new DefaultAzureCredential());

// The Function App ("AzureFunctions:Secure"), with a token from the provider on every forwarded request.
builder.Services.AddAzureFunctionProxy("secure", builder.Configuration.GetSection("AzureFunctions:Secure"))
    .AddAzureFunctionBearerToken<ManagedIdentityTokenProvider>();

var app = builder.Build();

// Everything under /secure goes to the function, e.g. /secure/orders/42 -> /api/{FunctionName}/orders/42.
app.MapAzureFunctionProxy("/secure/{**rest}", "secure");

app.Run();
