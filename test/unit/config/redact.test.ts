// The one redaction (lib/config/redact.ts): what counts as a secret in a URL, and that no form of
// URL, parsable or not, lets a password through.
import t from 'tap';
import { carriesSecret, redactSecrets, redactUrl } from '../../../lib/config';

const SECRET = 's3cr3t-Pw';

t.test('redactUrl masks the password of a URL that parses, and keeps the rest', async (t) => {
  t.equal(redactUrl('mysql://tandem:secret@h:1/chat'), 'mysql://tandem:***@h:1/chat');
  t.equal(redactUrl('mysql://u:p@ss@h:1/chat'), 'mysql://u:***@h:1/chat', 'a password holding @ is masked whole');
  t.equal(redactUrl('mysql://:pw@h/chat'), 'mysql://:***@h/chat', 'a password without a user name is masked');
  t.equal(redactUrl(`http://reg:${SECRET}@r:8081/apis/ccompat/v7`), 'http://reg:***@r:8081/apis/ccompat/v7');
  t.equal(redactUrl(`mysql://u@h/chat?password=${SECRET}&ssl=true`), 'mysql://u@h/chat?password=***&ssl=true', 'a password in the query (mysql2 reads it)');
  t.equal(redactUrl('http://127.0.0.1:8081'), 'http://127.0.0.1:8081', 'nothing to mask: the text as given');
  t.equal(redactUrl('mysql://tandem@h/chat'), 'mysql://tandem@h/chat', 'a user without a password stays');
});

t.test('a URL that does not parse loses everything between the scheme and its last @', async (t) => {
  t.equal(redactUrl(`mysql://tandem:${SECRET}@h:99999/chat`), 'mysql://***@h:99999/chat', 'port out of range');
  t.equal(redactUrl(`mysql://u:pa/ss${SECRET}@h/chat`), 'mysql://***@h/chat', 'a password holding /');
  t.equal(redactUrl(`mysql://u:pa#${SECRET}@h/chat`), 'mysql://***@h/chat', 'a password holding #');
  t.equal(redactUrl(`mysql:u:${SECRET}@h/chat`), 'mysql:***@h/chat', 'no // (an opaque URL has no password to the parser)');
  t.equal(redactUrl(`u:${SECRET}@h:3306/chat`), 'u:***@h:3306/chat', 'no scheme');
  t.equal(redactUrl('not a url'), 'not a url', 'no @: nothing that could be a password');
});

t.test('carriesSecret: a password, a password parameter, or an @ in what does not parse', async (t) => {
  t.ok(carriesSecret(`mysql://u:${SECRET}@h/chat`));
  t.ok(carriesSecret(`mysql://u@h/chat?password=${SECRET}`));
  t.ok(carriesSecret(`mysql://u:pa/ss@h/chat`), 'unparsable with an @: cannot be told apart from a password');
  t.ok(carriesSecret(`mysql:u:${SECRET}@h/chat`));
  t.notOk(carriesSecret('mysql://tandem@127.0.0.1:3307/chat'), 'a user without a password');
  t.notOk(carriesSecret('mysql://u:@h/chat'), 'an empty password');
  t.notOk(carriesSecret('mysql://127.0.0.1:3307/chat'));
});

t.test('redactSecrets masks every URL credential inside free text', async (t) => {
  const text = `GET http://reg:${SECRET}@r:8081/x failed; mysql://u:p@${SECRET}@db/chat?token=${SECRET}&a=1 "mysql://v:${SECRET}@h/c"`;
  const out = redactSecrets(text);
  t.notMatch(out, SECRET);
  t.equal(out, 'GET http://***@r:8081/x failed; mysql://***@db/chat?token=***&a=1 "mysql://***@h/c"');
  t.equal(redactSecrets('nothing secret: http://h:1/x, user@example.com'), 'nothing secret: http://h:1/x, user@example.com');
});
