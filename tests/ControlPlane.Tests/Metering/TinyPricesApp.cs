using ControlPlane.Tests.Gateway;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Tests.Metering;

/// <summary>
/// The shared gateway plus aliases priced at the smallest prices the book holds (6 decimals per million, i.e. down to
/// $0.000000000001 per token), whose costs carry all 12 decimals of the money scale.
/// </summary>
public abstract class TinyPricesApp(DatabaseProvider provider) : GatewayApp(provider)
{
    /// <summary>On fake-openai: $0.0000001 per input token, cached and output at awkward 6-decimal prices.</summary>
    public const decimal OpenAIInput = 0.1m, OpenAICached = 0.000001m, OpenAIOutput = 0.123457m;

    /// <summary>On fake-anthropic: cache reads priced, cache writes left to the default (1.25 × input = 0.125).</summary>
    public const decimal ClaudeInput = 0.1m, ClaudeCached = 0.01m, ClaudeCacheWriteDefault = 0.125m, ClaudeOutput = 0.300001m;

    /// <summary>An alias priced with input and output only: cached input then costs the input price.</summary>
    public const decimal PlainInput = 0.2m, PlainOutput = 0.4m;

    protected override void AddSettings(IDictionary<string, string?> settings)
    {
        settings["Gateway:Providers:fake-openai:Models:tiny"] = "tiny-model";
        Price("fake-openai", "tiny-model", ("Input", OpenAIInput), ("CachedInput", OpenAICached), ("Output", OpenAIOutput));
        settings["Gateway:Providers:fake-anthropic:Models:tiny-claude"] = "tiny-claude-model";
        Price("fake-anthropic", "tiny-claude-model", ("Input", ClaudeInput), ("CachedInput", ClaudeCached), ("Output", ClaudeOutput));
        settings["Gateway:Providers:fake-openai:Models:tiny-plain"] = "tiny-plain-model";
        Price("fake-openai", "tiny-plain-model", ("Input", PlainInput), ("Output", PlainOutput));
        return;

        void Price(string providerName, string model, params (string Field, decimal Value)[] prices)
        {
            foreach (var (field, value) in prices)
                settings[$"Gateway:Providers:{providerName}:Prices:{model}:{field}"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
    }
}

public sealed class SqliteTinyPricesApp() : TinyPricesApp(DatabaseProvider.Sqlite);

public sealed class PostgresTinyPricesApp() : TinyPricesApp(DatabaseProvider.Postgres);
