using ControlPlane.Features.Experiments;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Tests.Gateway;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Tests.Experiments;

/// <summary>
/// The gateway app with aliases of its own for each experiment and shadow test (one experiment per alias), all served
/// by the fake OpenAI at its two priced models, and the fake Anthropic for a shadow on another wire.
/// </summary>
public abstract class ExperimentsApp(DatabaseProvider provider) : GatewayApp(provider)
{
    public static readonly string[] ExpensiveAliases = ["exp-split", "exp-sdk", "exp-promote", "exp-overlap", "exp-stream", "shadow-primary", "shadow-cap", "shadow-bill"];

    protected override void AddSettings(IDictionary<string, string?> settings)
    {
        foreach (var alias in ExpensiveAliases) settings[$"Gateway:Providers:fake-openai:Models:{alias}"] = Aliases["gpt"].Model;
        settings["Gateway:Providers:fake-anthropic:Models:shadow-claude"] = Aliases["claude"].Model;
    }

    public Task<T> ServiceAsync<TService, T>(Func<TService, Task<T>> use) where TService : notnull =>
        App.WithScopeAsync(sp => use(sp.GetRequiredService<TService>()));

    /// <summary>Creates and starts an experiment as the command line would (an Owner).</summary>
    public async Task<ExperimentRow> StartAsync(ExperimentForm form)
    {
        var saved = await ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.SaveAsync(Actor.CommandLine, null, form));
        Assert.True(saved.Succeeded, saved.Error);
        var started = await ServiceAsync<ExperimentService, Outcome<ExperimentRow>>(s => s.StartAsync(Actor.CommandLine, saved.Value!.Id));
        Assert.True(started.Succeeded, started.Error);
        return started.Value!;
    }
}

public sealed class SqliteExperimentsApp() : ExperimentsApp(DatabaseProvider.Sqlite);

public sealed class PostgresExperimentsApp() : ExperimentsApp(DatabaseProvider.Postgres);
