using AzureFunctionsInvoker.Connections;
using AzureFunctionsInvoker.Forwarding;
using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Functions;

/// <summary>
/// One valid set of options for a function, with what the proxy computes from them once: where the function
/// lives and how to connect to it. Immutable: a request uses the target it started with to the end, even when
/// the options reload meanwhile.
/// </summary>
internal sealed class FunctionTarget
{
    private const string FunctionsKeyHeader = "x-functions-key";

    private FunctionTarget(string name, AzureFunctionProxyOptions options)
    {
        Options = options;
        Route = new FunctionRoute(options);
        Connection = ConnectionSettings.From(options);
        Forwarding = new ForwardingTarget(name, options, Connection, Route.FunctionUri);

        // A Durable link's token carries the Durable Task system key as its code, which the Functions host reads only
        // when no x-functions-key header comes with it: neither the function key nor a caller's may be sent.
        var keyless = options.Clone();
        keyless.ApiKey = null;
        keyless.RemoveRequestHeaders.Add(FunctionsKeyHeader);
        KeylessForwarding = new ForwardingTarget(name, keyless, Connection, Route.FunctionUri);
    }

    /// <summary>The function's name in the app: its registered name, or <c>FunctionName</c> for options given in code.</summary>
    public string Name => Forwarding.Name;

    /// <summary>A private copy of the options, so later changes to the caller's instance are not observed.</summary>
    public AzureFunctionProxyOptions Options { get; }

    public FunctionRoute Route { get; }

    public ConnectionSettings Connection { get; }

    /// <summary>What an exchange with the function needs of it.</summary>
    public ForwardingTarget Forwarding { get; }

    /// <summary>As <see cref="Forwarding"/>, sending no <c>x-functions-key</c>: for Durable links, whose URL carries its own key.</summary>
    public ForwardingTarget KeylessForwarding { get; }

    /// <summary>
    /// Makes the target of options that passed validation, warning about the risky or likely mistaken settings they
    /// hold, naming the function as <paramref name="origin"/> does.
    /// </summary>
    public static FunctionTarget Create(OptionsOrigin origin, AzureFunctionProxyOptions validOptions, ILogger logger)
    {
        var target = new FunctionTarget(origin.Name, validOptions.Clone());
        var options = target.Options;
        if (options.Https && !options.HttpsVerify)
        {
            Log.HttpsVerifyDisabled(logger, origin.Name, target.Route.ToString());
        }

        if (!options.Https && !string.IsNullOrEmpty(options.ApiKey) && !target.Route.FunctionUri.IsLoopback)
        {
            Log.KeyOverHttp(logger, origin.Name, target.Route.ToString());
        }

        if (HostNames.MayBeWholeHost(options))
        {
            Log.HostDomainAppended(logger, origin.Name, target.Route.FunctionUri.Host, options.AppName, origin.PathOf(nameof(options.HostDomain)));
        }

        return target;
    }
}
