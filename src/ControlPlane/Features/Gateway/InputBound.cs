using System.ComponentModel.DataAnnotations;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Providers;
using ControlPlane.Features.Gateway.Wire;
using Microsoft.ML.Tokenizers;

namespace ControlPlane.Features.Gateway;

/// <summary>
/// The most input tokens a call can be billed for on one target: the hold is an upper bound, never an estimate.
/// OpenAI's own models (kind openai / azure-openai, a model name whose encoding we know) are counted with the real
/// tokenizer plus OpenAI's documented framing and a small margin. Everywhere else every byte-level BPE or
/// SentencePiece tokenizer spends at least one UTF-8 byte a token, so the bytes of the text plus framing per
/// message bound the count. Images cost the provider's documented worst case each, files their decoded bytes.
/// </summary>
public static class InputBound
{
    /// <summary>Counts a request's text and framing tokens with one tokenizer (the request's body stays with the caller).</summary>
    public delegate long TextTokenCounter(Tokenizer tokenizer);

    public static long For(RouteTarget target, RequestInfo info, InputBoundOptions options, TextTokenCounter? counter)
    {
        var size = info.Input;
        if (size.IsEmpty) return info.EstimatedInputTokens; // measured by no inspector (embeddings count their own)
        var openAI = target.Provider.Kind is ProviderKinds.OpenAI or ProviderKinds.AzureOpenAI
            ? OpenAIEncodings.For(target.UpstreamModel)
            : null;
        var media = size.FileBytes + (long)size.ReferencedFiles * options.ReferencedFileTokens;
        if (openAI is null)
        {
            return size.TextBytes
                + (long)size.Messages * options.FramingTokensPerMessage + options.FramingTokensPerRequest
                + (size.HasTools ? options.ToolsOverheadTokens : 0)
                + (long)size.Images * options.ImageTokens
                + media;
        }
        var images = (long)size.Images * (OpenAIEncodings.IsGpt4oMini(target.UpstreamModel) ? options.OpenAIMiniImageTokens : options.OpenAIImageTokens);
        // Without the body (a caller that has none to give) the byte count still bounds the tokens of text.
        var text = counter is null
            ? size.TextBytes + (long)size.Messages * options.FramingTokensPerMessage + options.FramingTokensPerRequest
            : counter(openAI);
        if (size.HasTools) text += options.OpenAIToolsOverheadTokens;
        var margin = (text * options.TokenizerMarginPercent + 99) / 100 + options.TokenizerMarginTokens;
        return text + margin + images + media;
    }
}

/// <summary>The "Gateway:InputBounds" section: the per-item worst cases behind <see cref="InputBound"/>.</summary>
public sealed class InputBoundOptions
{
    /// <summary>Tokens a message's framing (role, separators, a leading space) can cost beyond its text's bytes.</summary>
    [Range(0, 1_000)]
    public int FramingTokensPerMessage { get; set; } = 8;

    /// <summary>Tokens a request's framing (start and reply priming) can cost.</summary>
    [Range(0, 10_000)]
    public int FramingTokensPerRequest { get; set; } = 16;

    /// <summary>
    /// Hidden prompt a provider adds when tools are offered (Anthropic documents up to 346 tokens for its tool-use
    /// system prompt, plus per-tool framing).
    /// </summary>
    [Range(0, 100_000)]
    public int ToolsOverheadTokens { get; set; } = 600;

    /// <summary>OpenAI's tool namespace header and per-tool framing beyond the tools' JSON.</summary>
    [Range(0, 100_000)]
    public int OpenAIToolsOverheadTokens { get; set; } = 64;

    /// <summary>
    /// Most tokens one image costs on a provider other than OpenAI: Anthropic bills about w×h/750 with images scaled
    /// to fit 1,568 px (≈1,600); Gemini 258 per 768 px tile (images fit 3,072 px: 16 tiles, 4,128).
    /// </summary>
    [Range(0, 1_000_000)]
    public int ImageTokens { get; set; } = 6_000;

    /// <summary>
    /// Most tokens one image costs on OpenAI models at high detail: tile models 85 + 170 × 8 tiles = 1,445; patch
    /// models 1,536 patches × their multiplier (up to 2.46 for the nano models: 3,779).
    /// </summary>
    [Range(0, 1_000_000)]
    public int OpenAIImageTokens { get; set; } = 3_779;

    /// <summary>gpt-4o-mini: 2,833 + 5,667 × 8 tiles.</summary>
    [Range(0, 1_000_000)]
    public int OpenAIMiniImageTokens { get; set; } = 48_169;

    /// <summary>A file, document or audio sent by reference (id or URL) rather than inline: its size is unknown here.</summary>
    [Range(0, 10_000_000)]
    public int ReferencedFileTokens { get; set; } = 200_000;

    /// <summary>Added to a tokenizer's count: percent of the count…</summary>
    [Range(0, 100)]
    public int TokenizerMarginPercent { get; set; } = 2;

    /// <summary>…and a fixed number of tokens (OpenAI's framing has changed across model generations).</summary>
    [Range(0, 10_000)]
    public int TokenizerMarginTokens { get; set; } = 16;
}
