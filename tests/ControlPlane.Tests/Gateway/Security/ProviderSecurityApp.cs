using System.Net;
using System.Net.Sockets;
using ControlPlane.Infrastructure.Data;

namespace ControlPlane.Tests.Gateway.Security;

/// <summary>
/// The shared gateway plus a provider on a <see cref="ScriptedUpstream"/> (alias "scripted"), a silent listener and a
/// closed port, all three allowed by name in Gateway:AllowedProviderAddresses (so that what refuses a redirect or
/// reports "connection refused" is the behaviour under test, not the address rule), and small read bounds.
/// </summary>
public abstract class ProviderSecurityApp(DatabaseProvider provider) : GatewayApp(provider)
{
    public const string ScriptedKey = "sk-scripted-0123456789";
    public const int MaxResponseBytes = 64 * 1024, MaxEventBytes = 16 * 1024;

    public ScriptedUpstream Scripted { get; private set; } = default!;
    public SilentListener Silent { get; private set; } = default!;
    /// <summary>A loopback port nothing listens on (taken and released before the app starts).</summary>
    public int ClosedPort { get; private set; }

    protected override void AddSettings(IDictionary<string, string?> settings)
    {
        Scripted = ScriptedUpstream.Start();
        Silent = new SilentListener();
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        ClosedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        AllowProviderAddress(settings, $"127.0.0.1:{Scripted.Port}");
        AllowProviderAddress(settings, $"127.0.0.1:{Silent.Port}");
        AllowProviderAddress(settings, $"127.0.0.1:{ClosedPort}");
        settings["Gateway:MaxProviderResponseBytes"] = $"{MaxResponseBytes}";
        settings["Gateway:MaxProviderEventBytes"] = $"{MaxEventBytes}";
        const string p = "Gateway:Providers:scripted";
        settings[$"{p}:Kind"] = "openai";
        settings[$"{p}:BaseUrl"] = $"{Scripted.Origin}/v1";
        settings[$"{p}:ApiKey"] = ScriptedKey;
        settings[$"{p}:MaxRetries"] = "0";
        settings[$"{p}:FirstByteTimeoutSeconds"] = "30";
        settings[$"{p}:IdleTimeoutSeconds"] = "30";
        settings[$"{p}:Models:scripted"] = "scripted-model";
        settings[$"{p}:Prices:scripted-model:Input"] = InputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings[$"{p}:Prices:scripted-model:Output"] = OutputPrice.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        Silent?.Dispose();
        if (Scripted is not null) await Scripted.DisposeAsync();
    }
}

public sealed class SqliteProviderSecurityApp() : ProviderSecurityApp(DatabaseProvider.Sqlite);

public sealed class PostgresProviderSecurityApp() : ProviderSecurityApp(DatabaseProvider.Postgres);
