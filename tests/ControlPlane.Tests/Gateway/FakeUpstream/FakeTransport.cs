using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Tests.Gateway.FakeUpstream;

/// <summary>One write of a stream. Content frames carry generated text or arguments: delays and cuts count them.</summary>
internal sealed record Frame(string Text, bool IsContent = false);

/// <summary>Puts bytes on the socket the way a provider does: flushed frame by frame, slow when told, cut when told.</summary>
internal static class FakeTransport
{
    // Providers send UTF-8 as is; the default encoder would escape every non-ASCII character and '+'.
    public static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Serialize(JsonNode node) => node.ToJsonString(Json);

    public static async Task JsonAsync(HttpContext context, JsonNode body, int status = 200, FakeReply? reply = null)
    {
        var bytes = Encoding.UTF8.GetBytes(Serialize(body));
        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.ContentLength = bytes.Length;
        if (reply?.CutAfterChunks is null)
        {
            await response.Body.WriteAsync(bytes, context.RequestAborted);
            return;
        }
        // Half the promised Content-Length, then a dead connection.
        await response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2), context.RequestAborted);
        await response.Body.FlushAsync(context.RequestAborted);
        await CutAsync(context);
    }

    public static async Task StreamAsync(HttpContext context, FakeReply reply, string contentType, IEnumerable<Frame> frames)
    {
        var response = context.Response;
        var aborted = context.RequestAborted;
        response.StatusCode = 200;
        response.ContentType = contentType;
        response.Headers.CacheControl = "no-cache";
        await response.StartAsync(aborted);
        var sent = 0;
        foreach (var frame in frames)
        {
            if (reply.CutAfterChunks is { } cut && sent >= cut)
            {
                await CutAsync(context);
                return;
            }
            if (frame.IsContent)
            {
                if (reply.ChunkDelay > TimeSpan.Zero)
                    await Task.Delay(reply.ChunkDelay, aborted);
                sent++;
            }
            await response.WriteAsync(frame.Text, aborted);
            await response.Body.FlushAsync(aborted);
        }
        if (reply.CutAfterChunks is not null)
            await CutAsync(context); // asked to cut after more chunks than there were: cut before the clean end
    }

    /// <summary>
    /// Ends the connection mid-body. Abort alone drops what Kestrel has not sent yet and resets the socket, and a
    /// RST makes the client's kernel drop bytes not yet read (the frames before the cut, even the headers). So: let
    /// the transport send what was flushed, send FIN (the client reads it all, then sees the body end early), and
    /// abort once the client has closed, or after a while.
    /// </summary>
    private static async Task CutAsync(HttpContext context)
    {
        if (context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            // FlushAsync only hands the bytes to the transport's pipe; its send loop runs on its own.
            await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted);
            socket.Shutdown(SocketShutdown.Send);
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client closed its side: it has read everything.
            }
        }
        context.Abort();
    }

    /// <summary>Splits text into at most <paramref name="pieces"/> parts, never inside a surrogate pair.</summary>
    public static List<string> Pieces(string text, int pieces)
    {
        var result = new List<string>();
        if (text.Length == 0)
            return result;
        pieces = Math.Clamp(pieces, 1, text.Length);
        var start = 0;
        for (var i = 1; i <= pieces; i++)
        {
            var end = i == pieces ? text.Length : (int)((long)text.Length * i / pieces);
            if (end < text.Length && end > 0 && char.IsLowSurrogate(text[end]))
                end++;
            if (end > start)
                result.Add(text[start..end]);
            start = Math.Max(start, end);
        }
        return result;
    }
}
