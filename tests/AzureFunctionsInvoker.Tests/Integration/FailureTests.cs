using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AzureFunctionsInvoker.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AzureFunctionsInvoker.Tests.Integration;

/// <summary>A function that is down, slow or dying mid-answer, and a caller that goes away: each ends in the right status or a clean abort.</summary>
public sealed class FailureTests
{
    private static readonly TimeSpan s_bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_closed_port_gets_502_with_a_problem_body()
    {
        var closedPort = ClosedPort();
        await using var env = await ProxyEnvironment.StartAsync("echo", o => o.Port = closedPort);

        using var response = await env.Caller.GetAsync("/mytest");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"title":"Bad Gateway","status":502,"detail":"The function could not be reached."}""", body);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable" && e.Level == LogLevel.Warning);
    }

    [Fact]
    public async Task A_function_that_does_not_answer_within_timeout_gets_504_and_its_call_is_cancelled()
    {
        await using var env = await ProxyEnvironment.StartAsync("hang", o => o.Timeout = 300);

        using var response = await env.Caller.GetAsync("/mytest").WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        Assert.Contains("\"status\":504", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
    }

    [Fact]
    public async Task A_caller_that_goes_away_cancels_the_function_call_and_is_logged_at_debug()
    {
        await using var env = await ProxyEnvironment.StartAsync("hang");
        using var abandon = new CancellationTokenSource();
        var call = env.Caller.GetAsync("/mytest", abandon.Token);

        await env.Function.Arrived.Task.WaitAsync(s_bound);
        await abandon.CancelAsync();

        await env.Function.Cancelled.Task.WaitAsync(s_bound);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        await env.Logs.WaitForAsync("CallerAborted", s_bound);
        Assert.DoesNotContain(env.Logs.Entries, e => e.Level >= LogLevel.Warning
            && (e.Category.StartsWith("AzureFunctionsInvoker", StringComparison.Ordinal) || e.Category.StartsWith("System.Net.Http", StringComparison.Ordinal)));
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "CallerAborted" && e.Level == LogLevel.Debug);
    }

    [Fact]
    public async Task A_response_cut_off_mid_body_aborts_the_callers_connection()
    {
        await using var env = await ProxyEnvironment.StartAsync("truncate");

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[100]).AsTask().WaitAsync(s_bound);
        env.Function.Proceed.SetResult();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1000, response.Content.Headers.ContentLength);
        await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));
        await env.Logs.WaitForAsync("ResponseBodyFailed", s_bound);
    }

    [Fact]
    public async Task A_function_that_stalls_mid_body_beyond_timeout_aborts_the_callers_connection()
    {
        await using var env = await ProxyEnvironment.StartAsync("lockstep-download", o => o.Timeout = 1000);
        await WarmUpAsync(env, "/mytest?warm");

        using var response = await env.Caller.GetAsync("/mytest", HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[1024]).AsTask().WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await Assert.ThrowsAnyAsync<IOException>(() => body.CopyToAsync(Stream.Null).WaitAsync(s_bound));
        await env.Function.Cancelled.Task.WaitAsync(s_bound);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "FunctionTimedOut");
    }

    [Fact]
    public async Task A_function_that_dies_after_its_headers_but_before_any_body_gets_502()
    {
        await using var env = await ProxyEnvironment.StartAsync("die");

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"status\":502", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Something_that_is_not_http_gets_502()
    {
        await using var garbage = new RawFunction("SSH-2.0-OpenSSH_9.6\n\n");
        await using var env = await ProxyEnvironment.StartAsync("echo", o => o.Port = garbage.Port);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
    }

    [Fact]
    public async Task A_body_read_earlier_without_buffering_is_the_apps_fault_not_the_functions()
    {
        await using var env = await ProxyEnvironment.StartAsync("echo", configurePipeline: app => app.Use(async (context, next) =>
        {
            await context.Request.Body.CopyToAsync(Stream.Null);
            await next(context);
        }));

        using var response = await env.Caller.PostAsync("/mytest", new ByteArrayContent(new byte[5000]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(env.Logs.Entries, e => e.EventId.Name == "RequestBodyFailed");
        Assert.DoesNotContain(env.Logs.Entries, e => e.EventId.Name == "FunctionUnreachable");
    }

    [Fact]
    public async Task The_apps_problem_details_service_writes_the_error_when_registered()
    {
        await using var env = await ProxyEnvironment.StartAsync(
            "echo",
            o => o.Port = ClosedPort(),
            builder => builder.Services.AddProblemDetails(p => p.CustomizeProblemDetails = c => c.ProblemDetails.Extensions["app"] = "mine"));

        using var response = await env.Caller.GetAsync("/mytest");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("\"app\":\"mine\"", body, StringComparison.Ordinal);
        Assert.Contains("\"status\":502", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_key_never_appears_in_logs_or_error_bodies_at_any_level()
    {
        var bodies = new List<string>();
        foreach (var (function, configure) in new (string, Action<AzureFunctionsInvoker.AzureFunctionProxyOptions>)[]
        {
            ("cookies", _ => { }),
            ("echo", o => o.Port = ClosedPort()),
            ("hang", o => o.Timeout = 200),
            ("die", _ => { }),
            ("echo", o => o.MaxRequestBodySize = 10),
        })
        {
            await using var env = await ProxyEnvironment.StartAsync(function, configure);
            using var response = await env.Caller.PostAsync("/mytest?code=visible", new StringContent("a body longer than ten bytes"));
            bodies.Add(await response.Content.ReadAsStringAsync());

            Assert.NotEmpty(env.Logs.Entries);
            Assert.DoesNotContain(env.Function.Key, env.Logs.AllText, StringComparison.Ordinal);
            Assert.All(bodies, body => Assert.DoesNotContain(env.Function.Key, body, StringComparison.Ordinal));
        }

        Assert.Contains(bodies, b => b.Contains("\"status\":502", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.Contains("\"status\":504", StringComparison.Ordinal));
        Assert.Contains(bodies, b => b.Contains("\"status\":413", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_untrusted_certificate_gets_502_while_https_verify_is_on()
    {
        using var certificate = SelfSignedCertificate();
        await using var env = await ProxyEnvironment.StartAsync("echo", functionCertificate: certificate);

        using var response = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Empty(env.Function.ReceivedTargets);
    }

    [Fact]
    public async Task An_untrusted_certificate_is_accepted_with_https_verify_off()
    {
        using var certificate = SelfSignedCertificate();
        await using var env = await ProxyEnvironment.StartAsync("echo", o => o.HttpsVerify = false, functionCertificate: certificate);

        using var response = await env.Caller.GetAsync("/mytest/x");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("/api/echo/x", Assert.Single(env.Function.ReceivedTargets));
    }

    [Fact]
    public async Task A_function_that_refuses_before_reading_an_expect_100_continue_body_is_answered_without_it()
    {
        await using var env = await ProxyEnvironment.StartAsync("echo", o => o.ApiKey = "wrong-key");
        var bodyRequested = false;
        using var content = new PushContent(async stream =>
        {
            bodyRequested = true;
            await stream.WriteAsync(new byte[1024]);
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/mytest") { Content = content };
        request.Headers.ExpectContinue = true;

        using var response = await env.Caller.SendAsync(request).WaitAsync(s_bound);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(bodyRequested);
    }

    [Fact]
    public async Task A_handler_that_resends_a_streamed_body_fails_loudly_instead_of_sending_it_empty()
    {
        await using var env = await ProxyEnvironment.StartAsync(
            "echo",
            configureProxy: builder => builder.Services.AddAzureFunctionProxy().AddHttpMessageHandler(() => new SendTwiceHandler()));

        using var withBody = await env.Caller.PostAsync("/mytest", new StringContent("streamed once"));
        using var withoutBody = await env.Caller.GetAsync("/mytest");

        Assert.Equal(HttpStatusCode.InternalServerError, withBody.StatusCode);
        Assert.Contains("cannot be retried", env.Logs.AllText, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, withoutBody.StatusCode);
    }

    private sealed class SendTwiceHandler : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            (await base.SendAsync(request, cancellationToken)).Dispose();
            return await base.SendAsync(request, cancellationToken);
        }
    }

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }

    // A cold first exchange (JIT, first connection) may outlast a short timeout; the tests time what follows.
    private static async Task WarmUpAsync(ProxyEnvironment env, string path)
    {
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var response = await env.Caller.GetAsync(path);
            if (response.IsSuccessStatusCode)
            {
                return;
            }
        }

        Assert.Fail("The proxy never answered the warm-up request.");
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
