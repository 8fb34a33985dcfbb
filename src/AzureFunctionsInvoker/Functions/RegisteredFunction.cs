using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Functions;

/// <summary>Registered by <c>AddAzureFunctionProxy(name, ...)</c>, one per named function.</summary>
internal sealed record RegisteredFunction(string Name)
{
    /// <summary>
    /// Registers the function <paramref name="name"/>, once however often its options are added to. Names are
    /// case-insensitive, as configuration keys are: two differing only in case would be one function to
    /// <c>UseAzureFunctionProxy(path, name)</c> but two sets of options.
    /// </summary>
    /// <exception cref="InvalidOperationException">A name differing from <paramref name="name"/> only in case is registered.</exception>
    public static void Add(IServiceCollection services, string name)
    {
        foreach (var descriptor in services)
        {
            if (descriptor is { IsKeyedService: false, ImplementationInstance: RegisteredFunction registered }
                && string.Equals(registered.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                if (!string.Equals(registered.Name, name, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"The Azure Function '{name}' cannot be registered: '{registered.Name}' is registered already, and function " +
                        "names are case-insensitive, as configuration keys are. Register it under one spelling.");
                }

                return;
            }
        }

        services.AddSingleton(new RegisteredFunction(name));
    }
}
