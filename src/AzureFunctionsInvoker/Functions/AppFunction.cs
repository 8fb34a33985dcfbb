using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One function an app mount exposes, an entry of <c>Functions</c>: its route under the app's <c>RoutePrefix</c> and
/// what an exchange with it needs (the app's options with the function's name, and its own key and client id when it
/// has them). Made once per set of the app's options; the host, its connection settings and every other option are
/// the app's.
/// </summary>
internal sealed class AppFunction
{
    public AppFunction(string mountName, string functionName, AzureFunctionProxyOptions app, AzureFunctionProxyFunctionOptions? own, ConnectionSettings connection)
    {
        var options = app.ForFunction(functionName, own);
        Route = new FunctionRoute(options);
        Forwarding = new ForwardingTarget(mountName, options, connection, Route.FunctionUri, mountSuffix: "/" + functionName);
    }

    public FunctionRoute Route { get; }

    /// <summary>What an exchange with the function needs of it; its options' <c>FunctionName</c> is the function's.</summary>
    public ForwardingTarget Forwarding { get; }
}
