using System.Buffers;
using System.IO.Pipelines;
using ControlPlane.Features.Gateway.Catalogue;
using ControlPlane.Features.Gateway.Wire;
using ControlPlane.Features.Metering;
using Microsoft.AspNetCore.Http.Features;

namespace ControlPlane.Features.Gateway.Relay;

/// <summary>
/// Relays a provider's SSE stream to the caller event by event, translating when the formats differ, with an idle
/// timeout between events. Whatever ends the stream (the provider finishing, cutting off or stalling, or the client
/// leaving), the call is metered on what was generated until then.
/// </summary>
public sealed partial class StreamRelay(Microsoft.Extensions.Options.IOptions<GatewayOptions> options, ILogger<StreamRelay> logger)
{
    public async Task<Metered> RelayAsync(HttpContext http, GatewayCall call, HttpResponseMessage response, ProviderEndpoint endpoint, RequestInfo info, PriceRate? rate, CancellationToken ct)
    {
        var record = call.Record;
        var provider = endpoint.Name;
        var idleTimeout = endpoint.IdleTimeout;
        var providerFormat = ProviderRequests.FormatOf(endpoint.Kind);
        var translator = WireTranslation.CreateStream(providerFormat, call.FrontDoor, info.Model);
        var output = new CountingWriter(http.Response.BodyWriter, call.KeepsPayloads || call.CapturesAnswer ? new ArrayBufferWriter<byte>() : null);

        http.Response.StatusCode = 200;
        http.Response.ContentType = "text/event-stream; charset=utf-8";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        record.Status = 200;

        using var idle = new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, idle.Token);
        var complete = false;
        var clientGone = false;
        try
        {
            await http.Response.StartAsync(ct);
            await using var stream = await response.Content.ReadAsStreamAsync(ct);
            using var reader = new SseReader(stream, maxEventBytes: options.Value.MaxProviderEventBytes);
            while (true)
            {
                idle.CancelAfter(idleTimeout);
                if (!await reader.TryReadEventAsync(linked.Token)) break;
                // The provider's idle clock stops while we wait on a slow client.
                idle.CancelAfter(Timeout.InfiniteTimeSpan);
                var sawContent = translator.SawContent;
                translator.OnEvent(reader.EventName, reader.Data.Span, output);
                if (!sawContent && translator.SawContent) record.TimeToFirstTokenMs = (int)call.Elapsed.TotalMilliseconds;
                var flushed = await output.Inner.FlushAsync(http.RequestAborted);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    clientGone = true;
                    break;
                }
            }
            if (!clientGone)
            {
                translator.Complete(output);
                await output.Inner.FlushAsync(http.RequestAborted);
                complete = true;
            }
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            record.Status = 499; // nginx's "client closed request": the caller left mid-stream
            record.ErrorClass = "client_disconnected";
        }
        catch (OperationCanceledException) when (idle.IsCancellationRequested)
        {
            await EndWithErrorAsync(http, call, output, "upstream_idle_timeout", $"{provider} sent nothing for {idleTimeout.TotalSeconds:0} s; the stream was ended.");
        }
        catch (OperationCanceledException)
        {
            await EndWithErrorAsync(http, call, output, "upstream_timeout", $"{provider} did not finish within the call's time limit; the stream was ended.");
        }
        catch (OversizedAnswerException ex)
        {
            // What went by until then is metered (estimated) like any stream cut short.
            LogCut(logger, call.RequestId, provider, ex.Message);
            await EndWithErrorAsync(http, call, output, "upstream_too_large",
                $"{provider} sent a stream event larger than {ex.Limit:N0} bytes ({nameof(GatewayOptions.MaxProviderEventBytes)}); the stream was ended.");
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            LogCut(logger, call.RequestId, provider, ex.Message);
            await EndWithErrorAsync(http, call, output, "upstream_cut", $"{provider} broke off the stream.");
        }
        if (clientGone)
        {
            record.Status = 499;
            record.ErrorClass = "client_disconnected";
        }
        record.ResponseBytes = output.Written;
        if (output.Captured is { } captured) call.ResponseText = GatewayCall.Capped(captured.WrittenSpan);
        if (complete && translator.StopReason is null && translator.Usage is null) record.ErrorClass ??= "upstream_incomplete";
        return Metered.OfStream(translator.Usage, complete, info, translator.OutputCharacters, rate);
    }

    /// <summary>Headers are gone, so the status stays 200: the caller learns of the failure from an error event.</summary>
    private static async Task EndWithErrorAsync(HttpContext http, GatewayCall call, CountingWriter output, string errorClass, string message)
    {
        call.Record.ErrorClass = errorClass;
        if (http.RequestAborted.IsCancellationRequested) return;
        var error = new WireError(502, "api_error", message, Code: errorClass);
        var body = WireTranslation.ErrorBody(call.FrontDoor, error);
        var frame = call.FrontDoor == WireFormat.AnthropicMessages ? "event: error\ndata: "u8 : "data: "u8;
        output.Write(frame);
        output.Write(body);
        output.Write("\n\n"u8);
        try
        {
            await output.Inner.FlushAsync(http.RequestAborted);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // the caller left as well
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Call {RequestId}: {Provider} cut the stream: {Reason}")]
    private static partial void LogCut(ILogger logger, string requestId, string provider, string reason);

    /// <summary>
    /// Counts bytes on their way to the caller, for the call log, and keeps a copy (up to the kept-payload limit)
    /// when the team keeps completions.
    /// </summary>
    private sealed class CountingWriter(PipeWriter inner, ArrayBufferWriter<byte>? captured) : IBufferWriter<byte>
    {
        private Memory<byte> _last;

        public PipeWriter Inner => inner;
        public long Written { get; private set; }
        public ArrayBufferWriter<byte>? Captured => captured;

        public void Advance(int count)
        {
            Written += count;
            if (captured is not null && captured.WrittenCount + count <= GatewayCall.KeptPayloadLimit + 4)
                captured.Write(_last.Span[..count]);
            inner.Advance(count);
        }

        public Memory<byte> GetMemory(int sizeHint = 0) => _last = inner.GetMemory(sizeHint);
        public Span<byte> GetSpan(int sizeHint = 0) => (_last = inner.GetMemory(sizeHint)).Span;
    }
}
