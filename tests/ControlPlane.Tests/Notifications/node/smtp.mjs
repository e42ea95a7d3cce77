// A real SMTP server (npm smtp-server) on 127.0.0.1 for the notification tests (SmtpTestServer.cs).
// Prints {"event":"listening","port":N} once, then one JSON line per received message.
import { SMTPServer } from 'smtp-server';
import { simpleParser } from 'mailparser';

const user = process.env.SMTP_USER;
const password = process.env.SMTP_PASSWORD;

const server = new SMTPServer({
  secure: false,
  disabledCommands: ['STARTTLS'],
  authOptional: !user,
  authMethods: ['PLAIN', 'LOGIN'],
  allowInsecureAuth: true,
  onAuth(auth, session, callback) {
    if (auth.username === user && auth.password === password) return callback(null, { user: auth.username });
    return callback(new Error('Invalid username or password'));
  },
  onData(stream, session, callback) {
    simpleParser(stream).then(mail => {
      process.stdout.write(JSON.stringify({
        event: 'message',
        user: session.user ?? null,
        from: session.envelope.mailFrom?.address ?? null,
        to: session.envelope.rcptTo.map(r => r.address),
        subject: mail.subject ?? null,
        text: mail.text ?? null,
        alert: mail.headers.get('x-controlplane-alert') ?? null,
        attachments: (mail.attachments ?? []).map(a => ({ filename: a.filename ?? null, contentType: a.contentType, content: a.content.toString('utf8') })),
      }) + '\n');
      callback();
    }, callback);
  },
});
server.on('error', e => process.stderr.write(String(e) + '\n'));
server.listen(Number(process.env.SMTP_PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ event: 'listening', port: server.server.address().port }) + '\n');
});
