namespace AzureFunctionsInvoker;

/// <summary>Registered by <c>AddAzureFunctionProxy()</c> so <c>UseAzureFunctionProxy</c> can tell it was called.</summary>
internal sealed class AzureFunctionProxyMarkerService
{
}
