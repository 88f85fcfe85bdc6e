/*
 * advice.c - what a person should do about a finding: a least-privilege,
 * short-lived replacement now, and how to revoke the token if it leaked.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Appends to a buffer, never past its end. */
typedef struct out {
	char *buf;
	size_t size, len;
} out;

static void put(out *o, const char *f, ...) __attribute__((format(printf, 2, 3)));
static void put(out *o, const char *f, ...)
{
	va_list ap;
	if (o->len + 1 >= o->size)
		return;
	va_start(ap, f);
	int n = vsnprintf(o->buf + o->len, o->size - o->len, f, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->size ? o->len + (size_t)n : o->size - 1;
}

/* Names pasted into shell commands: only characters Azure allows, else a placeholder. */
static const char *safe(const char *s, const char *placeholder, const char *extra)
{
	if (!s || !*s)
		return placeholder;
	for (const char *c = s; *c; c++)
		if (!sg_is_alnum((unsigned char)*c) && *c != '-' && !strchr(extra, *c))
			return placeholder;
	return s;
}

/* The storage service a token addresses: the host's second label, or ss. */
static const char *service_of(const sg_token *t)
{
	const char *dot = strchr(t->host, '.');
	static const char *const services[] = { "blob", "dfs", "file", "queue", "table", "web" };
	if (dot)
		for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
			size_t l = strlen(services[i]);
			if (strncmp(dot + 1, services[i], l) == 0 && dot[1 + l] == '.')
				return services[i];
		}
	if (t->ss && *t->ss == 'f')
		return "file";
	if (t->ss && *t->ss == 'q')
		return "queue";
	if (t->ss && *t->ss == 't')
		return "table";
	return "blob";
}

/* Splits resource "/container/path/to/blob" into container and path. */
static void split_resource(const sg_token *t, char *container, size_t csize, char *path, size_t psize)
{
	const char *r = t->resource[0] == '/' ? t->resource + 1 : t->resource;
	const char *slash = strchr(r, '/');
	size_t cl = slash ? (size_t)(slash - r) : strlen(r);
	snprintf(container, csize, "%.*s", (int)(cl < csize ? cl : csize - 1), r);
	snprintf(path, psize, "%s", slash && slash[1] ? slash + 1 : "");
}

static void least_permissions(const sg_token *t, const sg_policy *p, char *perm, size_t size)
{
	size_t n = 0;
	for (const char *c = t->sp ? t->sp : ""; *c && n + 1 < size; c++)
		if (strchr(p->allowed_permissions, *c) && !memchr(perm, *c, n))
			perm[n++] = *c;
	if (n == 0 && n + 1 < size)
		perm[n++] = strchr(p->allowed_permissions, 'r') || !p->allowed_permissions[0] ? 'r' : p->allowed_permissions[0];
	perm[n] = '\0';
}

static void fix_sas(const sg_finding *f, const sg_policy *p, out *o)
{
	const sg_token *t = &f->token;
	char perm[32], container[128], path[256], life[32];
	const char *acct = safe(t->account, "<account>", "");
	const char *svc = service_of(t);

	least_permissions(t, p, perm, sizeof(perm));
	split_resource(t, container, sizeof(container), path, sizeof(path));
	sg_duration_format(p->max_lifetime, life, sizeof(life));
	const char *c = safe(container, "<container>", "$");
	const char *b = safe(path, "<path>", "._/");
	const char *expiry = "\"$(date -u -d '+1 hour' '+%Y-%m-%dT%H:%MZ')\"";

	put(o, "Replace it with a SAS for the one %s it serves, permissions '%s', HTTPS only, expiring "
	       "within %s (prefer a user delegation SAS: it is signed by your Entra identity, not the "
	       "account key), and keep the link itself out of git (a secret store or CI variable):\n",
	    strcmp(svc, "file") == 0 ? "file" : strcmp(svc, "queue") == 0 ? "queue"
					: strcmp(svc, "table") == 0 ? "table" : "blob", perm, life);
	if (strcmp(svc, "file") == 0)
		put(o, "  az storage file generate-sas --account-name %s --share-name %s --path %s "
		       "--permissions %s --expiry %s --https-only",
		    acct, c, b, perm, expiry);
	else if (strcmp(svc, "queue") == 0)
		put(o, "  az storage queue generate-sas --account-name %s --name %s --permissions %s "
		       "--expiry %s --https-only --auth-mode login",
		    acct, c, perm, expiry);
	else if (strcmp(svc, "table") == 0)
		put(o, "  az storage table generate-sas --account-name %s --name %s --permissions %s "
		       "--expiry %s --https-only",
		    acct, c, perm, expiry);
	else
		put(o, "  az storage blob generate-sas --account-name %s --container-name %s --name %s "
		       "--permissions %s --expiry %s --https-only --as-user --auth-mode login --full-uri",
		    acct, c, b, perm, expiry);
}

size_t sg_finding_fix(const sg_finding *f, const sg_policy *p, char *buf, size_t size)
{
	out o = { buf, size, 0 };
	const sg_token *t = &f->token;
	sg_policy view; /* the limits the token's account has, as judged */

	if (p->naccounts) {
		sg_policy_for_account(p, t->account, &view);
		p = &view;
	}
	if (size)
		buf[0] = '\0';
	if (f->nviolations == 1 && f->violations[0].rule == SG_RULE_UNPARSEABLE) {
		put(&o, "Check the token: %s cannot be read, so its reach is unknown. Issue a new one "
			"with a readable expiry and permissions, and keep it out of git.",
		    f->violations[0].value);
		return o.len;
	}
	switch (t->kind) {
	case SG_KIND_STORAGE_KEY:
		put(&o, "Remove the key from the file and rotate it (it stays in git history). Use Entra "
			"ID in code (DefaultAzureCredential, a managed identity) or a short-lived user "
			"delegation SAS fetched at run time.");
		break;
	case SG_KIND_COSMOS_KEY:
		put(&o, "Remove the key from the file and regenerate it (it stays in git history). Use "
			"Entra ID with Cosmos DB data-plane roles (DefaultAzureCredential, a managed "
			"identity), or a read-only key only where nothing else works.");
		break;
	case SG_KIND_SERVICEBUS_KEY:
		put(&o, "Remove the key from the file and regenerate it. Use Entra ID (a managed "
			"identity) or a short-lived SAS minted at run time from a send-only or "
			"listen-only policy.");
		break;
	case SG_KIND_SERVICEBUS_SAS:
		put(&o, "Mint the token at run time with an expiry within the policy's limit, from a "
			"policy with only the right it needs (Send or Listen), instead of committing it.");
		break;
	default:
		if (sg_finding_has(f, SG_RULE_STORED_POLICY) && f->nviolations == 1)
			put(&o, "Make sure the stored access policy '%s' grants only read/list and "
				"expires soon: az storage container policy show --account-name %s "
				"--container-name <container> --name %s",
			    safe(t->si, "<policy>", "_."), safe(t->account, "<account>", ""),
			    safe(t->si, "<policy>", "_."));
		else
			fix_sas(f, p, &o);
	}
	return o.len;
}

size_t sg_finding_revoke(const sg_finding *f, char *buf, size_t size)
{
	out o = { buf, size, 0 };
	const sg_token *t = &f->token;
	const char *acct = safe(t->account, "<account>", "");

	if (size)
		buf[0] = '\0';
	switch (t->kind) {
	case SG_KIND_SERVICEBUS_SAS:
	case SG_KIND_SERVICEBUS_KEY:
		put(&o, "Regenerate the key '%s' that signs it: az servicebus namespace "
			"authorization-rule keys renew --resource-group <rg> --namespace-name %s --name %s "
			"--key PrimaryKey (Event Hubs: az eventhubs namespace authorization-rule keys renew; "
			"IoT Hub: az iot hub policy renew-key).",
		    safe(t->skn, "<key name>", "_."), acct, safe(t->skn, "<key name>", "_."));
		break;
	case SG_KIND_COSMOS_KEY:
		put(&o, "Regenerate the key (each of the four if you do not know which leaked): az cosmosdb "
			"keys regenerate --name %s --resource-group <rg> --key-kind primary (then secondary, "
			"primaryReadonly, secondaryReadonly). Clients using the old key stop working.",
		    acct);
		break;
	case SG_KIND_USER_DELEGATION_SAS:
		put(&o, "Revoke the user delegation keys of the account (every user delegation SAS stops "
			"working): az storage account revoke-delegation-keys --name %s --resource-group <rg>",
		    acct);
		break;
	default:
		if (t->si) {
			put(&o, "Delete or change the stored access policy '%s' it refers to: az storage "
				"container policy delete --account-name %s --container-name <container> "
				"--name %s",
			    safe(t->si, "<policy>", "_."), acct, safe(t->si, "<policy>", "_."));
			break;
		}
		put(&o, "Rotate the account key that signed it (both, if you do not know which): az "
			"storage account keys renew --account-name %s --key primary, then --key secondary. "
			"Every SAS signed with that key stops working.",
		    acct);
	}
	return o.len;
}
