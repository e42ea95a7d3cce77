using System.Text.Json;
using System.Text.Json.Serialization;

namespace ControlPlane.Features.Routing;

/// <summary>
/// When a rule applies. Every condition that is set must hold (an empty list or null is "any"); within one list any
/// entry matches. Teams match their subteams too. Times are "HH:mm" in the organisation's time zone; a window whose end
/// is before its start wraps past midnight.
/// </summary>
public sealed class RuleConditions
{
    /// <summary>The model the caller asked for (an alias, or any name a rule turns into targets).</summary>
    public List<string> Models { get; set; } = [];
    public List<Guid> Teams { get; set; } = [];
    public List<Guid> Projects { get; set; } = [];
    /// <summary>Key prefixes (cp-…), as the Keys page shows them.</summary>
    public List<string> Keys { get; set; } = [];
    /// <summary>The X-ControlPlane-Caller header.</summary>
    public List<string> Callers { get; set; } = [];
    /// <summary>The request's <c>user</c> (OpenAI) or <c>metadata.user_id</c> (Anthropic).</summary>
    public List<string> EndUsers { get; set; } = [];
    /// <summary>Any of these tags, from the X-ControlPlane-Tags header or the request's <c>metadata.tags</c>.</summary>
    public List<string> Tags { get; set; } = [];
    public long? MinInputTokens { get; set; }
    public long? MaxInputTokens { get; set; }
    public bool? UsesTools { get; set; }
    public bool? HasImages { get; set; }
    public string? From { get; set; }
    public string? To { get; set; }
    /// <summary>The X-ControlPlane-Region header (where the call comes from).</summary>
    public List<string> Regions { get; set; } = [];
}

public static class RuleActionKinds
{
    public const string Weighted = "weighted";
    public const string Fallbacks = "fallbacks";
    public const string Cheapest = "cheapest";
    public const string LocalFirst = "local-first";
    public const string Block = "block";

    public static IReadOnlyList<string> All { get; } = [Weighted, Fallbacks, Cheapest, LocalFirst, Block];

    public static string Describe(string kind) => kind switch
    {
        Weighted => "weighted targets (load balancing)",
        Fallbacks => "ordered fallbacks",
        Cheapest => "cheapest target meeting constraints",
        LocalFirst => "local first, then hosted",
        Block => "block with a message",
        _ => kind,
    };
}

/// <summary>A target a rule names: an alias (all its targets, in order) or one provider's model, "provider/model".</summary>
public sealed class RuleTarget
{
    public string Target { get; set; } = "";
    public int Weight { get; set; } = 1;
}

/// <summary>What a matching rule does.</summary>
public sealed class RuleAction
{
    public string Kind { get; set; } = RuleActionKinds.Fallbacks;
    /// <summary>Weighted and fallbacks: required. Cheapest: the pool (empty: every target of the call's kind). Local first: the pool (empty: the requested alias's).</summary>
    public List<RuleTarget> Targets { get; set; } = [];
    /// <summary>Block: what the caller is told.</summary>
    public string? Message { get; set; }
    // Cheapest: constraints beyond what the request itself needs (context ≥ its input, tools if it uses them, vision if it has images).
    public bool RequireTools { get; set; }
    public bool RequireVision { get; set; }
    public bool RequireJsonMode { get; set; }
    public int? MaxP95LatencyMs { get; set; }
    /// <summary>Provider names allowed (empty: any).</summary>
    public List<string> Providers { get; set; } = [];
    /// <summary>Target regions allowed (empty: any).</summary>
    public List<string> Regions { get; set; } = [];
}

/// <summary>How conditions and actions are stored: camelCase JSON, nulls and empty defaults written as they are.</summary>
public static class RuleJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    /// <summary>False for a stored rule that no longer reads (hand-edited in the database): it is shown, never matched.</summary>
    public static bool TryRead<T>(string json, out T value) where T : class, new()
    {
        try
        {
            value = JsonSerializer.Deserialize<T>(json, Options) ?? new T();
            return true;
        }
        catch (JsonException)
        {
            value = new T();
            return false;
        }
    }
}
