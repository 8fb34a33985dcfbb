using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace AzureFunctionsInvoker.Connections;

/// <summary>
/// What the meter shows of the connections to Function Apps (App Service has no metric of its outbound SNAT ports;
/// these are the ones the app can watch): how many are open per backend and protocol, and the connection attempts that
/// had to wait for <c>MaxConnectionsPerBackend</c>, with how long. The instruments are the meter's; this records on them.
/// </summary>
internal sealed class ConnectionInstruments(UpDownCounter<long> open, Histogram<double> waits)
{
    /// <summary>The error type a wait that ran out of time is tagged with, as the caller's problem body names it.</summary>
    public const string BudgetExhausted = "connection_budget_exhausted";

    /// <summary>A connection to <paramref name="host"/>:<paramref name="port"/> speaking <paramref name="version"/> opened (+1) or closed (-1).</summary>
    public void Count(string host, int port, string version, int change)
    {
        if (open.Enabled)
        {
            open.Add(change, new TagList
            {
                { "server.address", host },
                { "server.port", port },
                { "network.protocol.version", version },
            });
        }
    }

    /// <summary>A connection attempt to <paramref name="host"/>:<paramref name="port"/> waited <paramref name="wait"/> for the budget, and got a connection or not.</summary>
    public void Waited(string host, int port, TimeSpan wait, bool got)
    {
        if (!waits.Enabled)
        {
            return;
        }

        var tags = new TagList
        {
            { "server.address", host },
            { "server.port", port },
        };
        if (!got)
        {
            tags.Add("error.type", BudgetExhausted);
        }

        waits.Record(wait.TotalSeconds, tags);
    }
}
