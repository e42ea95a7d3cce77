namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>The wire a request arrived on (decided by its path and headers).</summary>
public enum FakeProvider
{
    OpenAI,
    AzureOpenAI,
    Anthropic,
    Gemini,
}

/// <summary>
/// Token counts the fake reports. <see cref="Input"/> includes <see cref="Cached"/> (OpenAI's convention); each
/// provider gets them in its own fields: Anthropic's input_tokens is Input − Cached − CacheWrite.
/// </summary>
public sealed record FakeUsage(int Input, int Cached, int Output, int CacheWrite = 0)
{
    public static FakeUsage Default { get; } = new(10, 0, 5);

    /// <summary>Anthropic counts uncached input apart from cache reads and cache writes.</summary>
    public int UncachedInput => Input - Cached - CacheWrite;
}

/// <summary>A tool call the fake "model" makes. Arguments are a JSON object, streamed in several pieces.</summary>
public sealed record FakeToolCall(string Name, string ArgumentsJson, string? Id = null);

/// <summary>What the fake does for one call. Every property has a sensible default: <c>new FakeReply()</c> echoes.</summary>
public sealed record FakeReply
{
    /// <summary>Generated text. Null: echo the last user message (or nothing when there are tool calls).</summary>
    public string? Text { get; init; }

    public IReadOnlyList<FakeToolCall> ToolCalls { get; init; } = [];

    /// <summary>Null: <see cref="FakeUsage.Default"/>.</summary>
    public FakeUsage? Usage { get; init; }

    /// <summary>How many pieces the text is streamed in.</summary>
    public int Chunks { get; init; } = 3;

    /// <summary>How many pieces each tool call's arguments are streamed in (OpenAI and Anthropic; Gemini sends them whole).</summary>
    public int ArgumentChunks { get; init; } = 3;

    /// <summary>Awaited before every content chunk (text piece or argument piece).</summary>
    public TimeSpan ChunkDelay { get; init; }

    /// <summary>Awaited before the status line: nothing reaches the client until it has passed.</summary>
    public TimeSpan FirstByteDelay { get; init; }

    /// <summary>Awaited (after <see cref="FirstByteDelay"/>) before the status line: a test holds the answer until it completes this task.</summary>
    public Task? HoldUntil { get; init; }

    /// <summary>
    /// Abort the TCP connection after this many content chunks were flushed (0: right after the stream's opening
    /// frames). Non-streaming: half the body is sent, then the connection is aborted.
    /// </summary>
    public int? CutAfterChunks { get; init; }

    /// <summary>Read the whole request, then drop the connection without a status line (after <see cref="FirstByteDelay"/>).</summary>
    public bool DropAfterRequest { get; init; }

    /// <summary>The provider "forgets" usage: no usage object, no usage chunk, no usageMetadata.</summary>
    public bool OmitUsage { get; init; }

    /// <summary>Answer with this HTTP status and the provider's error body instead of a completion.</summary>
    public int? ErrorStatus { get; init; }

    public string? ErrorMessage { get; init; }

    /// <summary>Sent as Retry-After (whole seconds, rounded up) with an error.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The model the response names. Null: the model asked for (Azure: the deployment).</summary>
    public string? Model { get; init; }

    /// <summary>The stop reason in the provider's own words (e.g. "length", "max_tokens", "MAX_TOKENS").</summary>
    public string? FinishReason { get; init; }

    /// <summary>Null: bill the scripted input; else count the input from the request's text (e.g. its UTF-8 bytes).</summary>
    public FakeInputBilling? BillInput { get; init; }

    /// <summary>Answer with n choices (OpenAI) and bill n × the output, as OpenAI does.</summary>
    public bool HonourN { get; init; }

    /// <summary>What the fake does with the output cap it was sent (see <see cref="FakeCapRule"/>).</summary>
    public FakeCapRule Cap { get; init; } = FakeCapRule.Scripted;

    /// <summary>Output tokens of an answer that no cap stopped.</summary>
    public int UncappedOutputTokens { get; init; } = 16_384;

    public static FakeReply Error(int status, string? message = null, TimeSpan? retryAfter = null) =>
        new() { ErrorStatus = status, ErrorMessage = message, RetryAfter = retryAfter };
}
