using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ControlPlane.Infrastructure.Data.Migrations;

/// <summary>
/// Notifications: channels (secrets encrypted), subscriptions, the deliveries queue and log, the cross-node dedup
/// table, wallets' escalation ladders and the Slack users mapped to people.
/// </summary>
[DbContext(typeof(ControlPlaneDb))]
[Migration("20261201101000_Notifications")]
public sealed class Notifications : Migration
{
    protected override void Up(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.CreateTable(
            name: "notification_channels",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                name = table.Column<string>(maxLength: 100, nullable: false),
                kind = table.Column<string>(maxLength: 16, nullable: false),
                settings = table.Column<string>(nullable: false),
                secret = table.Column<string>(nullable: true),
                secret_hint = table.Column<string>(maxLength: 100, nullable: true),
                enabled = table.Column<bool>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
                updated_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_notification_channels", x => x.id));
        migrationBuilder.CreateIndex("IX_notification_channels_name", "notification_channels", "name", unique: true);

        migrationBuilder.CreateTable(
            name: "notification_subscriptions",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                channel_id = table.Column<Guid>(nullable: false),
                alert_kind = table.Column<string>(maxLength: 40, nullable: false),
                team_id = table.Column<Guid>(nullable: true),
                to_team_leads = table.Column<bool>(nullable: false),
                to_finance_admins = table.Column<bool>(nullable: false),
                addresses = table.Column<string>(maxLength: 1000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_notification_subscriptions", x => x.id);
                table.ForeignKey("FK_notification_subscriptions_notification_channels_channel_id", x => x.channel_id, "notification_channels", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_notification_subscriptions_teams_team_id", x => x.team_id, "teams", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_notification_subscriptions_channel_id", "notification_subscriptions", "channel_id");
        migrationBuilder.CreateIndex("IX_notification_subscriptions_team_id", "notification_subscriptions", "team_id");

        migrationBuilder.CreateTable(
            name: "wallet_escalation_steps",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                wallet_id = table.Column<Guid>(nullable: false),
                percent = table.Column<int>(nullable: false),
                channel_id = table.Column<Guid>(nullable: false),
                to_team_leads = table.Column<bool>(nullable: false),
                to_finance_admins = table.Column<bool>(nullable: false),
                addresses = table.Column<string>(maxLength: 1000, nullable: true),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_wallet_escalation_steps", x => x.id);
                table.ForeignKey("FK_wallet_escalation_steps_wallets_wallet_id", x => x.wallet_id, "wallets", "id", onDelete: ReferentialAction.Cascade);
                table.ForeignKey("FK_wallet_escalation_steps_notification_channels_channel_id", x => x.channel_id, "notification_channels", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_wallet_escalation_steps_wallet_id_percent_channel_id", "wallet_escalation_steps", ["wallet_id", "percent", "channel_id"], unique: true);
        migrationBuilder.CreateIndex("IX_wallet_escalation_steps_channel_id", "wallet_escalation_steps", "channel_id");

        migrationBuilder.CreateTable(
            name: "notification_deliveries",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                channel_id = table.Column<Guid>(nullable: false),
                alert_kind = table.Column<string>(maxLength: 40, nullable: false),
                subject = table.Column<string>(maxLength: 300, nullable: false),
                payload = table.Column<string>(nullable: false),
                recipients = table.Column<string>(maxLength: 2000, nullable: true),
                status = table.Column<string>(maxLength: 16, nullable: false),
                attempts = table.Column<int>(nullable: false),
                next_attempt_at = table.Column<DateTime>(nullable: false),
                claimed_until = table.Column<DateTime>(nullable: true),
                last_error = table.Column<string>(maxLength: 1000, nullable: true),
                created_at = table.Column<DateTime>(nullable: false),
                sent_at = table.Column<DateTime>(nullable: true),
                is_test = table.Column<bool>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_notification_deliveries", x => x.id);
                table.ForeignKey("FK_notification_deliveries_notification_channels_channel_id", x => x.channel_id, "notification_channels", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_notification_deliveries_status_next_attempt_at", "notification_deliveries", ["status", "next_attempt_at"]);
        migrationBuilder.CreateIndex("IX_notification_deliveries_created_at", "notification_deliveries", "created_at");
        migrationBuilder.CreateIndex("IX_notification_deliveries_channel_id", "notification_deliveries", "channel_id");

        migrationBuilder.CreateTable(
            name: "alert_dedup",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                alert_kind = table.Column<string>(maxLength: 40, nullable: false),
                dedup_key = table.Column<string>(maxLength: 200, nullable: false),
                last_raised_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_alert_dedup", x => x.id));
        migrationBuilder.CreateIndex("IX_alert_dedup_alert_kind_dedup_key", "alert_dedup", ["alert_kind", "dedup_key"], unique: true);

        migrationBuilder.CreateTable(
            name: "slack_user_links",
            columns: table => new
            {
                id = table.Column<Guid>(nullable: false),
                slack_team_id = table.Column<string>(maxLength: 32, nullable: false),
                slack_user_id = table.Column<string>(maxLength: 32, nullable: false),
                user_id = table.Column<Guid>(nullable: false),
                created_at = table.Column<DateTime>(nullable: false),
            },
            constraints: table =>
            {
                table.PrimaryKey("PK_slack_user_links", x => x.id);
                table.ForeignKey("FK_slack_user_links_users_user_id", x => x.user_id, "users", "id", onDelete: ReferentialAction.Cascade);
            });
        migrationBuilder.CreateIndex("IX_slack_user_links_slack_team_id_slack_user_id", "slack_user_links", ["slack_team_id", "slack_user_id"], unique: true);
        migrationBuilder.CreateIndex("IX_slack_user_links_user_id", "slack_user_links", "user_id");
    }

    protected override void Down(MigrationBuilder migrationBuilder)
    {
        migrationBuilder.DropTable("slack_user_links");
        migrationBuilder.DropTable("alert_dedup");
        migrationBuilder.DropTable("notification_deliveries");
        migrationBuilder.DropTable("wallet_escalation_steps");
        migrationBuilder.DropTable("notification_subscriptions");
        migrationBuilder.DropTable("notification_channels");
    }
}
