using System.Diagnostics.CodeAnalysis;
using AzureFunctionsInvoker;
using AzureFunctionsInvoker.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Extends the client builder that <c>AddAzureFunctionProxy</c> returns.
/// </summary>
public static class AzureFunctionProxyHttpClientBuilderExtensions
{
    /// <summary>
    /// Sends a token from <typeparamref name="TProvider"/> as <c>Authorization: Bearer</c> on every request this
    /// client forwards, replacing the caller's <c>Authorization</c>: for Function Apps behind App Service
    /// Authentication, reached with a managed identity or another Microsoft Entra ID credential.
    /// </summary>
    /// <typeparam name="TProvider">The token provider, registered as a singleton unless already registered.</typeparam>
    /// <param name="builder">The builder <c>AddAzureFunctionProxy</c> returned.</param>
    /// <returns>The builder.</returns>
    public static IHttpClientBuilder AddAzureFunctionBearerToken<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TProvider>(this IHttpClientBuilder builder)
        where TProvider : class, IAzureFunctionTokenProvider
    {
        ArgumentNullException.ThrowIfNull(builder);

        builder.Services.TryAddSingleton<TProvider>();
        return builder.AddHttpMessageHandler(services => new BearerTokenHandler(services.GetRequiredService<TProvider>()));
    }
}
