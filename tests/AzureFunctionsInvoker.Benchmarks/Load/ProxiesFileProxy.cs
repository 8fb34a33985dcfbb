using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Benchmarks.Load;

/// <summary>
/// This library serving a proxies.json (<c>AddFunctionsProxies</c>, <c>MapFunctionsProxies</c>): the proxy
/// <c>/mytest/{*rest}</c> to the stand-in's <c>/api/hello/{rest}</c> with its key, the forward <see cref="CachedLibraryProxy"/>
/// with <c>--cache none</c> makes through <c>MapAzureFunctionProxy</c>, after <c>--filler</c> other proxies (0 by default)
/// that no request matches. Load/proxies.sh runs them side by side.
/// </summary>
internal static class ProxiesFileProxy
{
    public static WebApplication Build(WebApplicationBuilder builder, int functionPort, string functionKey)
    {
        var filler = int.Parse(builder.Configuration["filler"] ?? "0", CultureInfo.InvariantCulture);
        var file = Path.Combine(Path.GetTempPath(), $"proxies-load-{Environment.ProcessId}.json");
        File.WriteAllText(file, Write(filler, $"127.0.0.1:{functionPort}"));
        builder.Configuration["StandIn:Key"] = functionKey;
        builder.Services.AddFunctionsProxies(options =>
        {
            options.File = file;

            // As LibraryProxy: memory.sh-sized uploads, no limit of the proxy's own.
            options.MaxRequestBodySize = null;
        });
        var app = builder.Build();
        app.MapFunctionsProxies();
        return app;
    }

    /// <summary>A proxies.json of <paramref name="filler"/> proxies no request matches, then the one to the stand-in at <paramref name="host"/>.</summary>
    public static string Write(int filler, string host)
    {
        var json = new StringBuilder("{\n  \"proxies\": {\n");
        for (var i = 0; i < filler; i++)
        {
            json.Append(CultureInfo.InvariantCulture,
                $"    \"filler{i}\": {{ \"matchCondition\": {{ \"route\": \"/filler{i}/{{id}}/{{*rest}}\", \"methods\": [ \"GET\", \"POST\" ] }}, " +
                $"\"backendUri\": \"https://filler{i}.example.com/api/items/{{id}}/{{rest}}?code=%StandIn:Key%\", " +
                $"\"requestOverrides\": {{ \"backend.request.headers.X-Item\": \"{{id}}\" }}, " +
                $"\"responseOverrides\": {{ \"response.headers.X-Filler\": \"{i}\" }} }},\n");
        }

        json.Append(CultureInfo.InvariantCulture,
            $"    \"hello\": {{ \"matchCondition\": {{ \"route\": \"{LoadProxyHost.MountPath}/{{*rest}}\" }}, \"backendUri\": \"http://{host}/api/hello/{{rest}}\", ");
        json.Append("\"requestOverrides\": { \"backend.request.headers.x-functions-key\": \"%StandIn:Key%\" } }\n  }\n}\n");
        return json.ToString();
    }
}
