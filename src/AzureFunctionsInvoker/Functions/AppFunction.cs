using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Failover;
using AzureFunctionsInvoker.Forwarding;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One function an app mount exposes, an entry of <c>Functions</c>: its route under the app's <c>RoutePrefix</c> and
/// what an exchange with it needs (the app's options with the function's name, and its own key and client id when it
/// has them). Made once per set of the app's options; the host (or the backends, with their circuits), its connection
/// settings and every other option are the app's.
/// </summary>
internal sealed class AppFunction
{
    private readonly FunctionBackends _destinations;

    /// <param name="mountName">The app mount's name.</param>
    /// <param name="functionName">The function's name, as <c>Functions</c> spells it.</param>
    /// <param name="app">The app mount's options.</param>
    /// <param name="own">The function's entry of <c>Functions</c>.</param>
    /// <param name="connection">The app mount's connection settings.</param>
    /// <param name="circuits">The circuits of the app's backends, shared by all its functions; see <see cref="FunctionBackends.Circuits"/>.</param>
    public AppFunction(string mountName, string functionName, AzureFunctionProxyOptions app, AzureFunctionProxyFunctionOptions? own, ConnectionSettings connection, IReadOnlyList<CircuitBreaker>? circuits)
    {
        _destinations = new FunctionBackends(mountName, app.ForFunction(functionName, own), functionName, connection, circuits, mountSuffix: "/" + functionName);
    }

    public FunctionRoute Route => _destinations.Route;

    /// <summary>What an exchange with the function needs of it (with two or more backends, the first's); its options' <c>FunctionName</c> is the function's.</summary>
    public Backend Forwarding => _destinations.Forwarding;

    /// <summary>The function at each of the app's backends (one, or two or more behind their circuits).</summary>
    public BackendPool Pool => _destinations.Pool;
}
