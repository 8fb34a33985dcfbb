using AzureFunctionsInvoker.Rewriting;
using AzureFunctionsInvoker.Tests.Infrastructure;

namespace AzureFunctionsInvoker.Tests.Rewriting;

/// <summary>
/// <see cref="RewriteScope"/>: the mount as the caller addresses it (an app mount's function included) and which options
/// rewrite anything at all, so that a response with nothing to rewrite is not read.
/// </summary>
public sealed class RewriteScopeTests
{
    [Fact]
    public void The_mount_is_where_the_caller_addressed_it()
    {
        var scope = RewriteScopes.For();

        Assert.Equal("/base/orders", scope.MountPath);
        Assert.Equal(RewriteScopes.MountAddress, scope.MountAddress);
    }

    [Fact]
    public void An_app_mounts_function_follows_the_mount()
    {
        var scope = RewriteScopes.For(mountSuffix: "/invoices");

        Assert.Equal("/base/orders/invoices", scope.MountPath);
        Assert.Equal(RewriteScopes.MountAddress + "/invoices", scope.MountAddress);
    }

    [Theory]
    [InlineData(true, false, "", true)]
    [InlineData(false, true, "", true)]
    [InlineData(false, false, "_durable", true)]
    [InlineData(false, false, "", false)]
    [InlineData(false, false, null, false)]
    public void Anything_is_rewritten_when_one_rewrite_is_on(bool redirects, bool cookies, string? durableLinksPath, bool expected)
    {
        var options = new AzureFunctionProxyOptions { RewriteRedirects = redirects, RewriteCookies = cookies, DurableLinksPath = durableLinksPath! };

        Assert.Equal(expected, RewriteScope.AnyEnabled(options));
    }

    [Fact]
    public void Durable_links_are_on_by_default_and_off_with_no_path()
    {
        Assert.True(RewriteScope.DurableLinksEnabled(new AzureFunctionProxyOptions()));
        Assert.False(RewriteScope.DurableLinksEnabled(new AzureFunctionProxyOptions { DurableLinksPath = string.Empty }));
    }
}
