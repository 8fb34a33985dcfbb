using AzureFunctionsInvoker.Connections;

namespace AzureFunctionsInvoker.Tests.Connections;

public sealed class LiveConnectionSettingsTests
{
    private static readonly ConnectionSettings s_settings = new(TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(10), VerifyCertificate: true);

    [Fact]
    public void Settings_are_live_for_their_client_while_any_lease_holds_them_and_changes_are_told_once_each_way()
    {
        var live = new LiveConnectionSettings();
        var changes = new List<(string, ConnectionSettings, bool)>();
        live.Changed += (client, settings) => changes.Add((client, settings, live.IsLive(client, settings)));

        var first = live.Lease("a", s_settings);
        var second = live.Lease("a", s_settings);
        var liveForA = live.IsLive("a", s_settings);
        var liveForB = live.IsLive("b", s_settings);
        first.Dispose();
        first.Dispose();
        var liveWithOneLease = live.IsLive("a", s_settings);
        second.Dispose();

        Assert.True(liveForA);
        Assert.False(liveForB);
        Assert.True(liveWithOneLease);
        Assert.False(live.IsLive("a", s_settings));
        Assert.Equal([("a", s_settings, true), ("a", s_settings, false)], changes);
    }
}
