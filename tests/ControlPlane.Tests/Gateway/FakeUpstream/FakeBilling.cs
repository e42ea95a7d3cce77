using System.Text;
using System.Text.Json.Nodes;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>
/// How the fake counts the input it bills, from the text of the request as it arrived (every string in messages,
/// system prompts, tools and Gemini contents): a provider's tokenizer can count more than a gateway's guess.
/// </summary>
public sealed record FakeInputBilling(string Name, Func<string, int> Count)
{
    /// <summary>One token per UTF-8 byte: the most any byte-level tokenizer can bill for the text.</summary>
    public static FakeInputBilling Utf8Bytes { get; } = new("utf-8 bytes", static t => Encoding.UTF8.GetByteCount(t));

    /// <summary><paramref name="times"/> × the characters / 4 a naive estimate uses (rounded up).</summary>
    public static FakeInputBilling TimesQuarterCharacters(double times) =>
        new($"{times} × chars/4", t => (int)Math.Ceiling(times * t.Length / 4.0));

    public override string ToString() => Name;
}

/// <summary>What the fake does with the output cap a request carries (or does not).</summary>
public enum FakeCapRule
{
    /// <summary>Bill the scripted output whatever the cap (the fake's behaviour before caps mattered).</summary>
    Scripted,
    /// <summary>A sent cap is honoured (output = min(scripted, cap)); without one the answer runs long (<see cref="FakeReply.UncappedOutputTokens"/>).</summary>
    Honour,
    /// <summary>Even a sent cap is ignored: the answer runs long (<see cref="FakeReply.UncappedOutputTokens"/>), as a misbehaving provider would.</summary>
    IgnoreSent,
}

internal static class FakeBilling
{
    /// <summary>The usage the fake reports for one call: the scripted usage, then input billing, cap rule and n applied.</summary>
    public static FakeUsage Of(FakeReply reply, FakeProvider provider, JsonNode body)
    {
        var usage = reply.Usage ?? FakeUsage.Default;
        var input = reply.BillInput is { } billing ? Math.Max(billing.Count(RequestText(body)), usage.Cached + usage.CacheWrite) : usage.Input;
        var cap = OutputCap(provider, body);
        var output = reply.Cap switch
        {
            FakeCapRule.Honour => cap is { } c ? Math.Min(usage.Output, c) : reply.UncappedOutputTokens,
            FakeCapRule.IgnoreSent => reply.UncappedOutputTokens,
            _ => usage.Output,
        };
        return usage with { Input = input, Output = output * Choices(reply, provider, body) };
    }

    /// <summary>Answers to generate: OpenAI's n (and Gemini's candidateCount) when the reply honours it, else one.</summary>
    public static int Choices(FakeReply reply, FakeProvider provider, JsonNode body)
    {
        if (!reply.HonourN) return 1;
        var n = provider == FakeProvider.Gemini ? body["generationConfig"]?["candidateCount"] : body["n"];
        return n is JsonValue v && v.TryGetValue<int>(out var count) && count > 0 ? count : 1;
    }

    /// <summary>The output cap in the provider's own field, or null when none was sent.</summary>
    public static int? OutputCap(FakeProvider? provider, JsonNode body)
    {
        var cap = provider switch
        {
            FakeProvider.Anthropic => body["max_tokens"],
            FakeProvider.Gemini => body["generationConfig"]?["maxOutputTokens"],
            _ => body["max_completion_tokens"] ?? body["max_tokens"],
        };
        return cap is JsonValue v && v.TryGetValue<int>(out var n) ? n : null;
    }

    /// <summary>Every string the model would read, joined: message texts, names, tool arguments, schemas.</summary>
    public static string RequestText(JsonNode body)
    {
        var text = new StringBuilder();
        foreach (var field in new[] { "system", "messages", "tools", "contents", "systemInstruction" })
            Collect(body[field], text);
        return text.ToString();
    }

    private static void Collect(JsonNode? node, StringBuilder into)
    {
        switch (node)
        {
            case JsonValue v when v.TryGetValue<string>(out var s):
                into.Append(s);
                break;
            case JsonArray a:
                foreach (var item in a) Collect(item, into);
                break;
            case JsonObject o:
                foreach (var (_, value) in o) Collect(value, into);
                break;
            default:
                break;
        }
    }
}
