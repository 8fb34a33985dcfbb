using AzureFunctionsInvoker.Validation;
using Microsoft.Extensions.DependencyInjection;

namespace AzureFunctionsInvoker.Functions;

/// <summary>Registered by <c>AddAzureFunctionProxy(name, ...)</c>, one per named function.</summary>
/// <param name="Name">The name, as spelled at its registration.</param>
/// <param name="SectionPath">The path of the configuration section its options are bound to; <see langword="null"/> when they are set in code.</param>
internal sealed record RegisteredFunction(string Name, string? SectionPath)
{
    /// <summary>Where the function's options come from, as its validation messages say.</summary>
    public OptionsOrigin Origin => OptionsOrigin.Registered(Name, SectionPath);

    /// <summary>
    /// Registers the function <paramref name="name"/>, once however often its options are added to. Names are
    /// case-insensitive, as configuration keys are: two differing only in case would be one function to
    /// <c>UseAzureFunctionProxy(path, name)</c> but two sets of options.
    /// </summary>
    /// <exception cref="InvalidOperationException">A name differing from <paramref name="name"/> only in case is registered.</exception>
    public static void Add(IServiceCollection services, string name, string? sectionPath)
    {
        for (var i = 0; i < services.Count; i++)
        {
            if (services[i] is { IsKeyedService: false, ImplementationInstance: RegisteredFunction registered }
                && string.Equals(registered.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                if (!string.Equals(registered.Name, name, StringComparison.Ordinal))
                {
                    throw new InvalidOperationException(
                        $"The Azure Function '{name}' cannot be registered: '{registered.Name}' is registered already, and function " +
                        "names are case-insensitive, as configuration keys are. Register it under one spelling.");
                }

                // Options added again, say in code over configuration: messages name the section bound last.
                if (sectionPath is not null)
                {
                    services[i] = ServiceDescriptor.Singleton(new RegisteredFunction(name, sectionPath));
                }

                return;
            }
        }

        services.AddSingleton(new RegisteredFunction(name, sectionPath));
    }
}
