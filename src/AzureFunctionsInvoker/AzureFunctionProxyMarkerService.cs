using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker;

/// <summary>Registered by <c>AddAzureFunctionProxy</c> so that mounting a function can tell it was called.</summary>
internal sealed class AzureFunctionProxyMarkerService
{
    /// <exception cref="InvalidOperationException"><c>AddAzureFunctionProxy</c> was not called.</exception>
    public static void EnsureRegistered(IServiceProvider services, string mountMethod)
    {
        if (services.GetService<AzureFunctionProxyMarkerService>() is null)
        {
            throw new InvalidOperationException(
                "Unable to find the required services. Call 'services.AddAzureFunctionProxy()' (builder.Services.AddAzureFunctionProxy()) " +
                $"when configuring services before calling '{mountMethod}'.");
        }
    }
}
