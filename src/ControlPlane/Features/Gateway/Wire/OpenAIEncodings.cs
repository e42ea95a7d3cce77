using Microsoft.ML.Tokenizers;

namespace ControlPlane.Features.Gateway.Wire;

/// <summary>
/// The tiktoken encodings of OpenAI's own models, by model name, as Microsoft.ML.Tokenizers knows them (o200k_base
/// for GPT-4o, GPT-4.1, GPT-5 and the o-series; cl100k_base for GPT-4 and GPT-3.5). Each tokenizer is built once
/// (loading its vocabulary takes tens of milliseconds) and shared: counting is thread-safe.
/// </summary>
public static class OpenAIEncodings
{
    private static readonly Lazy<Tokenizer> O200k = new(() => TiktokenTokenizer.CreateForEncoding("o200k_base"));
    private static readonly Lazy<Tokenizer> Cl100k = new(() => TiktokenTokenizer.CreateForEncoding("cl100k_base"));

    /// <summary>The tokenizer of an OpenAI model, or null when the name is not one we know the encoding of.</summary>
    public static Tokenizer? For(string model)
    {
        var name = Base(model);
        if (Starts(name, "gpt-4o") || Starts(name, "gpt-4.1") || Starts(name, "gpt-4.5") || Starts(name, "gpt-5")
            || Starts(name, "o1") || Starts(name, "o3") || Starts(name, "o4") || Starts(name, "chatgpt-4o"))
            return O200k.Value;
        if (Starts(name, "gpt-4") || Starts(name, "gpt-3.5") || Starts(name, "gpt-35"))
            return Cl100k.Value;
        return null;
    }

    /// <summary>gpt-4o-mini bills images at a far larger rate than its siblings (2,833 + 5,667 per tile).</summary>
    public static bool IsGpt4oMini(string model) => Base(model).StartsWith("gpt-4o-mini", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reasoning models refuse <c>max_tokens</c> and take <c>max_completion_tokens</c>.</summary>
    public static bool WantsMaxCompletionTokens(string model)
    {
        var name = Base(model);
        return Starts(name, "o1") || Starts(name, "o3") || Starts(name, "o4") || Starts(name, "gpt-5");
    }

    // Fine-tunes are named ft:base-model:org:…: they count as their base model.
    private static ReadOnlySpan<char> Base(string model) =>
        model.StartsWith("ft:", StringComparison.OrdinalIgnoreCase) ? model.AsSpan(3) : model.AsSpan();

    private static bool Starts(ReadOnlySpan<char> name, string prefix) => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase);
}
