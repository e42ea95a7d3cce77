using ControlPlane.Components;
using ControlPlane.Features.AdminTokens;
using ControlPlane.Features.Audit;
using ControlPlane.Features.Demo;
using ControlPlane.Features.Digests;
using ControlPlane.Features.Experiments;
using ControlPlane.Features.FinOps;
using ControlPlane.Features.Gateway;
using ControlPlane.Features.Health;
using ControlPlane.Features.Keys;
using ControlPlane.Features.Projects;
using ControlPlane.Features.Prompts;
using ControlPlane.Features.Reconciliation;
using ControlPlane.Features.Routing;
using ControlPlane.Features.Limits;
using ControlPlane.Features.Live;
using ControlPlane.Features.Metering;
using ControlPlane.Features.Notifications;
using ControlPlane.Features.Overview;
using ControlPlane.Features.People.Scim;
using ControlPlane.Features.Teams;
using ControlPlane.Features.Transfers;
using ControlPlane.Features.Wallets;
using ControlPlane.Infrastructure;
using ControlPlane.Infrastructure.Api;
using ControlPlane.Infrastructure.Auth;
using ControlPlane.Infrastructure.Cli;
using ControlPlane.Infrastructure.Data;
using ControlPlane.Infrastructure.Jobs;
using ControlPlane.Infrastructure.Live;
using ControlPlane.Infrastructure.Telemetry;

// Verbs (migrate, keys …) run against the same services as the app and exit; see CommandLine.Help.
var verb = CommandLine.IsVerb(args);
var builder = WebApplication.CreateBuilder(verb ? [] : args);

builder.AddRootConfiguration();
builder.AddData();
builder.AddKeyRing();
builder.AddEventBus();
builder.AddAlerts();
builder.AddClusterBus();
builder.AddAuth();
builder.AddAdminTokens();
builder.AddAudit();
builder.AddTeams();
builder.AddProjects();
builder.AddKeys();
builder.AddGateway();
builder.AddRouting();
builder.AddExperiments();
builder.AddLimits();
builder.AddWallets();
builder.AddOverview();
builder.AddSpendHub();
builder.AddRequests();
builder.AddScim();
builder.AddTransfers();
builder.AddProviderHealth();
builder.AddDigests();
builder.AddFinOps();
builder.AddReconciliation();
builder.AddPrompts();
builder.AddDemoData();
builder.AddJobs();
builder.AddManagementApi();
builder.AddTelemetry();
builder.AddShell();

var app = builder.Build();

if (verb)
    return await CommandLine.RunAsync(app.Services, args, Console.Out, Console.Error);

await app.Services.PrepareDatabaseAsync();

app.UseForwardedHeaders();
app.UseGatewayCalls();
app.UseShell();
app.MapHealthEndpoints();
app.MapAuthEndpoints();
app.MapGatewayEndpoints();
app.MapExperimentsEndpoints();
app.MapWalletsEndpoints();
app.MapWalletApiEndpoints();
app.MapSpendHub();
app.MapCallEndpoints();
app.MapScimEndpoints();
app.MapSlackEndpoints();
app.MapAuditEndpoints();
app.MapPromptsEndpoints();
app.MapManagementApi();
app.MapJobsDashboard();
app.MapMetrics();
app.MapShell();

await app.RunAsync();
return 0;

/// <summary>Exposed for WebApplicationFactory in the tests.</summary>
public partial class Program;
