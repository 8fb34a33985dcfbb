using System.ComponentModel.DataAnnotations;

namespace EntraIdAuthentication;

/// <summary>The <c>EntraId</c> section: which token the proxy asks Microsoft Entra ID for, and with which identity.</summary>
public sealed class EntraIdTokenOptions
{
    /// <summary>
    /// The scope of the Function App's Entra application, <c>api://{its client id}/.default</c> (or its Application ID
    /// URI followed by <c>/.default</c>): the audience App Service Authentication accepts.
    /// </summary>
    [Required]
    public string Scope { get; set; } = string.Empty;

    /// <summary>
    /// The client id of a user-assigned managed identity to use. Empty: <c>DefaultAzureCredential</c>, which is the
    /// system-assigned identity on Azure and your developer sign-in (Azure CLI, Visual Studio) on your machine.
    /// </summary>
    public string? ManagedIdentityClientId { get; set; }

    /// <summary>How long before its expiry a token is replaced. Five minutes, as Azure.Identity's own cache does.</summary>
    public TimeSpan RefreshBeforeExpiry { get; set; } = TimeSpan.FromMinutes(5);
}
