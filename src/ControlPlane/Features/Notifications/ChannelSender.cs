using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace ControlPlane.Features.Notifications;

/// <summary>A send that did not work, in words safe for the delivery log (no URL, password or signing secret).</summary>
public sealed class DeliveryFailedException(string message) : Exception(message);

/// <summary>Sends one delivery over its channel: SMTP through MailKit, or an HTTP POST of the channel kind's JSON.</summary>
public sealed class ChannelSender(IHttpClientFactory http, ChannelSecrets secrets, IOptions<NotificationOptions> options, TimeProvider clock)
{
    public const string HttpClientName = "notifications";

    public async Task SendAsync(NotificationChannel channel, NotificationDelivery delivery, CancellationToken ct)
    {
        var secret = secrets.Unprotect(channel.Secret);
        var alert = AlertPayload.FromJson(delivery.Payload);
        var link = alert.AbsoluteLink(options.Value.PublicBaseUrl);
        await GuardedAsync(secret, sendCt => channel.Kind switch
        {
            ChannelKinds.Email => SendEmailAsync(JsonSerializer.Deserialize<ChannelSettings>(channel.Settings) ?? new(), secret, delivery, alert, link, sendCt),
            ChannelKinds.Slack => PostAsync(secret, ChatMessages.Slack(alert, link).ToJsonString(), "application/json", null, sendCt),
            ChannelKinds.Teams => PostAsync(secret, ChatMessages.Teams(alert, link).ToJsonString(), "application/json", null, sendCt),
            ChannelKinds.Webhook => PostAsync(secret, ChatMessages.Webhook(delivery.Id, alert, link).ToJsonString(), "application/json", delivery.Id, sendCt),
            _ => throw new DeliveryFailedException($"Unknown channel kind '{channel.Kind}'."),
        }, ct);
    }

    /// <summary>
    /// POSTs a body signed like our webhooks (a scheduled chargeback file) to the secret's URL, through the same
    /// checked client, timeout and error scrubbing as alerts: no redirect is followed and no inward address reached.
    /// </summary>
    public Task PostSignedAsync(ChannelSecret secret, string body, string mediaType, Guid deliveryId, CancellationToken ct) =>
        GuardedAsync(secret, sendCt => PostAsync(secret, body, mediaType, deliveryId, sendCt), ct);

    /// <summary>Runs one send within the send timeout; every failure becomes a <see cref="DeliveryFailedException"/> without the channel's secrets.</summary>
    private async Task GuardedAsync(ChannelSecret secret, Func<CancellationToken, Task> send, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Value.SendTimeout);
        try
        {
            await send(timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new DeliveryFailedException($"No answer within {options.Value.SendTimeout.TotalSeconds:0} s.");
        }
        catch (Exception ex) when (Gateway.Relay.ProviderAddressRefusedException.In(ex) is { } refused)
        {
            // The host resolved to an address the rule refuses (e.g. rebound to a private one): no socket was opened.
            throw new DeliveryFailedException(Scrub($"The webhook's address is not allowed: {refused.Message}", secret));
        }
        catch (Exception ex) when (ex is not DeliveryFailedException and not OperationCanceledException)
        {
            throw new DeliveryFailedException(Scrub($"{ex.GetType().Name}: {ex.Message}", secret));
        }
    }

    private async Task PostAsync(ChannelSecret secret, string json, string mediaType, Guid? signedDelivery, CancellationToken ct)
    {
        if (secret.Url is null || !Uri.TryCreate(secret.Url, UriKind.Absolute, out var url))
            throw new DeliveryFailedException("The channel has no webhook URL.");
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, mediaType) };
        if (signedDelivery is { } id)
        {
            if (secret.SigningSecret is not { Length: > 0 } signing) throw new DeliveryFailedException("The webhook has no signing secret.");
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.Add(WebhookSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.Add(WebhookSignature.SignatureHeader, WebhookSignature.Sign(signing, timestamp, json));
            request.Headers.Add(WebhookSignature.DeliveryHeader, id.ToString());
        }
        using var response = await http.CreateClient(HttpClientName).SendAsync(request, ct);
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(ct);
        body = body.Length <= 200 ? body : body[..200];
        throw new DeliveryFailedException(Scrub($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {body}".TrimEnd(' ', ':'), secret));
    }

    private static async Task SendEmailAsync(ChannelSettings settings, ChannelSecret secret, NotificationDelivery delivery, AlertPayload alert, string? link, CancellationToken ct)
    {
        if (settings.SmtpHost is null || settings.From is null) throw new DeliveryFailedException("The e-mail channel has no SMTP server or sender.");
        var to = AlertAudience.ParseAddresses(delivery.Recipients);
        if (to.Count == 0) throw new DeliveryFailedException("The e-mail has no recipients.");
        var message = new MimeMessage { Subject = alert.Subject };
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var address in to) message.To.Add(MailboxAddress.Parse(address));
        message.Headers.Add("X-ControlPlane-Alert", alert.Kind);
        message.Body = new TextPart("plain") { Text = ChatMessages.EmailText(alert, link) };
        await SmtpSendAsync(settings, secret, message, ct);
    }

    /// <summary>
    /// Sends a file (a scheduled chargeback) as an attachment through an e-mail channel's SMTP server, to the given
    /// addresses; failures come back as <see cref="DeliveryFailedException"/> with the channel's secrets scrubbed.
    /// </summary>
    public async Task SendFileAsync(NotificationChannel channel, IReadOnlyList<string> to, string subject, string text,
        string fileName, byte[] content, string mediaType, CancellationToken ct)
    {
        if (channel.Kind != ChannelKinds.Email) throw new DeliveryFailedException($"'{channel.Name}' is not an e-mail channel.");
        var secret = secrets.Unprotect(channel.Secret);
        var settings = JsonSerializer.Deserialize<ChannelSettings>(channel.Settings) ?? new();
        if (settings.SmtpHost is null || settings.From is null) throw new DeliveryFailedException("The e-mail channel has no SMTP server or sender.");
        if (to.Count == 0) throw new DeliveryFailedException("The e-mail has no recipients.");
        var message = new MimeMessage { Subject = subject };
        message.From.Add(MailboxAddress.Parse(settings.From));
        foreach (var address in to) message.To.Add(MailboxAddress.Parse(address));
        var body = new BodyBuilder { TextBody = text };
        body.Attachments.Add(fileName, content, ContentType.Parse(mediaType));
        message.Body = body.ToMessageBody();
        await GuardedAsync(secret, sendCt => SmtpSendAsync(settings, secret, message, sendCt), ct);
    }

    private static async Task SmtpSendAsync(ChannelSettings settings, ChannelSecret secret, MimeMessage message, CancellationToken ct)
    {
        using var smtp = new SmtpClient();
        var security = settings.SmtpSecurity switch
        {
            SmtpSecurities.None => SecureSocketOptions.None,
            SmtpSecurities.Tls => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.StartTls,
        };
        var host = settings.SmtpHost ?? throw new DeliveryFailedException("The e-mail channel has no SMTP server.");
        await smtp.ConnectAsync(host, settings.SmtpPort, security, ct);
        if (settings.SmtpUser is { Length: > 0 } user) await smtp.AuthenticateAsync(user, secret.Password ?? "", ct);
        await smtp.SendAsync(message, ct);
        await smtp.DisconnectAsync(true, ct);
    }

    /// <summary>Takes the channel's secrets out of an error text (an exception may quote the URL it failed on).</summary>
    public static string Scrub(string text, ChannelSecret secret)
    {
        foreach (var s in new[] { secret.Url, secret.Password, secret.SigningSecret })
            if (s is { Length: > 0 }) text = text.Replace(s, "***", StringComparison.Ordinal);
        if (secret.Url is not null && Uri.TryCreate(secret.Url, UriKind.Absolute, out var uri) && uri.AbsolutePath.Length > 1)
            text = text.Replace(uri.AbsolutePath, "/***", StringComparison.Ordinal);
        return text.Length <= 1000 ? text : text[..1000];
    }
}
