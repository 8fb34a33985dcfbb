using System.Net;
using System.Threading.RateLimiting;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary><c>MapAzureFunctionProxy</c>: a function behind an endpoint, under the app's own endpoint policies.</summary>
public sealed class EndpointRoutingTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);
    private static readonly Dictionary<string, string> s_orders = new() { ["orders"] = "echo" };

    [Theory]
    [InlineData("/orders/v1/a%2Fb/c?d=e", "/api/echo/a%2Fb/c?d=e")]
    [InlineData("/Orders/V1", "/api/echo")]
    [InlineData("/orders/v1/", "/api/echo/")]
    public async Task Forwards_the_path_below_the_patterns_literal_start(string pathAndQuery, string expectedTarget)
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/orders/v1/{**rest}", "orders"))
            .StartAsync();

        using var response = await env.Caller.GetAsync(new Uri(pathAndQuery, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(expectedTarget, (await StandInFunction.Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task A_catch_all_pattern_alone_forwards_the_whole_path()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/{**rest}", "orders"))
            .StartAsync();

        using var response = await env.Caller.GetAsync(new Uri("/a/b%20c?d", UriKind.Relative));

        Assert.Equal("/api/echo/a/b%20c?d", (await StandInFunction.Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task Under_a_path_base_the_base_is_not_forwarded()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app =>
            {
                app.UsePathBase("/base");
                app.UseRouting();
                app.MapAzureFunctionProxy("/orders/{**rest}", "orders");
            })
            .StartAsync();

        using var response = await env.Caller.GetAsync(new Uri("/base/orders/x", UriKind.Relative));

        Assert.Equal("/api/echo/x", (await StandInFunction.Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task In_a_route_group_the_groups_prefix_is_part_of_the_mount_point()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app => app.MapGroup("/shop").MapAzureFunctionProxy("/orders/{**rest}", "orders"))
            .StartAsync();

        using var response = await env.Caller.GetAsync(new Uri("/shop/orders/a?b=c", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo/a?b=c", (await StandInFunction.Echo.ReadAsync(response)).Target);
    }

    [Fact]
    public async Task An_unauthorized_caller_never_reaches_the_function()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy("/orders/{**rest}", "orders").RequireAuthorization())
            .ConfigureServices(builder =>
            {
                builder.Services.AddAuthentication(HeaderAuthenticationHandler.SchemeName)
                    .AddScheme<Microsoft.AspNetCore.Authentication.AuthenticationSchemeOptions, HeaderAuthenticationHandler>(HeaderAuthenticationHandler.SchemeName, null);
                builder.Services.AddAuthorization();
            })
            .StartAsync();

        using var anonymous = await env.Caller.GetAsync(new Uri("/orders/a", UriKind.Relative));
        var reachedBeforeSignIn = env.Function.ReceivedTargets.Count;
        using var signedIn = new HttpRequestMessage(HttpMethod.Get, "/orders/b");
        signedIn.Headers.Add(HeaderAuthenticationHandler.UserHeader, "alice");
        using var authorized = await env.Caller.SendAsync(signedIn);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(0, reachedBeforeSignIn);
        Assert.Equal(HttpStatusCode.OK, authorized.StatusCode);
        Assert.Equal(["/api/echo/b"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_rate_limited_caller_gets_429_and_never_reaches_the_function()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app =>
            {
                app.UseRateLimiter();
                app.MapAzureFunctionProxy("/orders/{**rest}", "orders").RequireRateLimiting("one");
            })
            .ConfigureServices(builder => builder.Services.AddRateLimiter(limiter =>
            {
                limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
                limiter.AddFixedWindowLimiter("one", window =>
                {
                    window.PermitLimit = 1;
                    window.Window = TimeSpan.FromHours(1);
                    window.QueueLimit = 0;
                    window.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
                });
            }))
            .StartAsync();

        using var first = await env.Caller.GetAsync(new Uri("/orders/1", UriKind.Relative));
        using var second = await env.Caller.GetAsync(new Uri("/orders/2", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.Equal(["/api/echo/1"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_cors_preflight_is_answered_by_the_policy_and_never_forwarded()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app =>
            {
                app.UseCors();
                app.MapAzureFunctionProxy("/orders/{**rest}", "orders").RequireCors("site");
            })
            .ConfigureServices(builder => builder.Services.AddCors(cors => cors.AddPolicy("site", policy => policy.WithOrigins("https://site.example").WithMethods("PUT"))))
            .StartAsync();

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/orders/1");
        preflight.Headers.Add("Origin", "https://site.example");
        preflight.Headers.Add("Access-Control-Request-Method", "PUT");
        using var preflightResponse = await env.Caller.SendAsync(preflight);
        using var actual = new HttpRequestMessage(HttpMethod.Put, "/orders/1");
        actual.Headers.Add("Origin", "https://site.example");
        using var actualResponse = await env.Caller.SendAsync(actual);

        Assert.Equal(HttpStatusCode.NoContent, preflightResponse.StatusCode);
        Assert.Equal(["https://site.example"], preflightResponse.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(HttpStatusCode.OK, actualResponse.StatusCode);
        Assert.Equal(["https://site.example"], actualResponse.Headers.GetValues("Access-Control-Allow-Origin"));
        Assert.Equal(["/api/echo/1"], env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task A_request_timeout_policy_ends_a_slow_forward_with_504_and_cancels_the_functions_request()
    {
        await using var env = await new ProxyHostBuilder()
            .AddNamedFunctions(new Dictionary<string, string> { ["slow"] = "hang" })
            .ConfigurePipeline(app =>
            {
                app.UseRequestTimeouts();
                app.MapAzureFunctionProxy("/slow/{**rest}", "slow").WithRequestTimeout(TimeSpan.FromMilliseconds(200));
            })
            .ConfigureServices(builder => builder.Services.AddRequestTimeouts())
            .StartAsync();

        using var response = await env.Caller.GetAsync(new Uri("/slow", UriKind.Relative)).WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
    }

    [Theory]
    [InlineData("/orders/{id}/items")]
    [InlineData("/orders/{id}")]
    [InlineData("/orders/v{version}/{**rest}")]
    public async Task A_pattern_with_parameters_before_its_end_is_refused_at_startup(string pattern)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => new ProxyHostBuilder()
            .AddNamedFunctions(s_orders)
            .ConfigurePipeline(app => app.MapAzureFunctionProxy(pattern, "orders"))
            .StartAsync());

        Assert.Contains(pattern, error.Message, StringComparison.Ordinal);
    }
}
