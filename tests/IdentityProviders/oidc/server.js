// A real OpenID provider (node oidc-provider, a certified implementation) for ControlPlane's sign-in tests, on
// 127.0.0.1 only. Started by tests/IdentityProviders/OidcIdentityProvider.cs with the path of a JSON file:
//   { "port": 0, "clients": [ { client_id, client_secret, redirect_uris, post_logout_redirect_uris } ],
//     "jwks": { "keys": [ <private RSA JWK> ] }, "accounts": { "<login>": { email, name, groups: [] } } }
// It prints "listening <issuer>" once it answers. devInteractions: the built-in login page takes any of the accounts'
// logins (any password). Tests change an account's groups with PUT /test/accounts/<login> {"groups": [...]}.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const accounts = config.accounts;

const server = http.createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((c) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      ...c,
    })),
    jwks: config.jwks,
    cookies: { keys: ['controlplane-test-oidc-provider'] },
    // email, name and groups in the id_token as well as from userinfo (as Okta and Entra can be set to send them).
    conformIdTokenClaims: false,
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    scopes: ['openid', 'email', 'profile', 'groups'],
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Okta and Entra sign out without asking: confirm at once (a browser runs it; HttpClient posts the form).
        logoutSource: async (ctx, form) => {
          ctx.body = `<!DOCTYPE html><html><head><title>Signing out</title></head><body>${form}
            <button type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
            <script>const f = document.getElementById('op.logoutForm'); const i = document.createElement('input');
            i.type = 'hidden'; i.name = 'logout'; i.value = 'yes'; f.appendChild(i); f.submit();</script></body></html>`;
        },
      },
    },
    pkce: { required: () => true },
    // A first-party client: consent is implied, so the login form is the only page.
    loadExistingGrant: async (ctx) => {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid email profile groups');
      await grant.save();
      return grant;
    },
    findAccount: async (_ctx, id) => {
      if (!accounts[id]) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id, email: accounts[id].email, email_verified: true, name: accounts[id].name, groups: accounts[id].groups,
        }),
      };
    },
    ttl: { Session: 3600, Interaction: 600, Grant: 3600, AccessToken: 600, AuthorizationCode: 60, IdToken: 600 },
  });

  // Its built-in pages import a web font from fonts.googleapis.com; tests talk to 127.0.0.1 only.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === 'string') ctx.body = ctx.body.replace(/@import url\(https:\/\/fonts\.googleapis\.com[^)]*\);?/g, '');
  });

  const app = provider.callback();
  server.on('request', (req, res) => {
    const match = /^\/test\/accounts\/([^/?]+)$/.exec(req.url ?? '');
    if (req.method === 'PUT' && match) {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        const login = decodeURIComponent(match[1]);
        accounts[login] = { ...accounts[login], ...JSON.parse(body) };
        res.writeHead(204).end();
      });
      return;
    }
    app(req, res);
  });
  console.log(`listening ${issuer}`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
