using ControlPlane.Features.Metering;
using Microsoft.Extensions.Options;

namespace ControlPlane.Features.Gateway.Providers;

/// <summary>
/// Configured prices are checked at start (ValidateOnStart): a negative price, or one finer than the price scale that
/// the database would round, stops the app with the setting's full name rather than pricing a call wrongly.
/// DataAnnotations do not reach into the provider and price dictionaries, hence this validator.
/// </summary>
public sealed class ConfiguredPricesValidation : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var failures = new List<string>();
        foreach (var (providerName, provider) in options.Providers)
        {
            foreach (var (model, price) in provider.Prices)
            {
                Check(nameof(ConfiguredPrice.Input), price.Input);
                Check(nameof(ConfiguredPrice.CachedInput), price.CachedInput);
                Check(nameof(ConfiguredPrice.CacheWrite), price.CacheWrite);
                Check(nameof(ConfiguredPrice.Output), price.Output);

                void Check(string field, decimal? value)
                {
                    if (value is { } v && PriceRules.Problem(v) is { } problem)
                        failures.Add($"{GatewayOptions.Section}:Providers:{providerName}:Prices:{model}:{field} is {v}: {problem} Prices are USD per million tokens.");
                }
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
