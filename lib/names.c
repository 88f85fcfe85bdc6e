/*
 * names.c - the names people and files use for kinds, rules, severities and
 * permission letters; the one table each, so output and config agree.
 */
#include "internal.h"

#include <string.h>

static const struct {
	const char *name, *label;
} kinds[SG_KIND_COUNT] = {
	[SG_KIND_SERVICE_SAS] = { "service-sas", "service SAS" },
	[SG_KIND_ACCOUNT_SAS] = { "account-sas", "account SAS" },
	[SG_KIND_USER_DELEGATION_SAS] = { "user-delegation-sas", "user delegation SAS" },
	[SG_KIND_SERVICEBUS_SAS] = { "servicebus-sas", "Service Bus / Event Hubs / IoT SAS" },
	[SG_KIND_STORAGE_KEY] = { "storage-account-key", "storage account key" },
	[SG_KIND_SERVICEBUS_KEY] = { "servicebus-key", "Service Bus / Event Hubs / IoT shared access key" },
	[SG_KIND_COSMOS_KEY] = { "cosmosdb-key", "Cosmos DB account key" },
};

static const struct {
	const char *name, *title;
} rules[SG_RULE_COUNT] = {
	[SG_RULE_ACCOUNT_SAS] = { "account-sas",
				  "account SAS: spans services and resource types, revoked only by rotating the account key" },
	[SG_RULE_PERMISSIONS] = { "permissions", "sp grants letters outside allowed_permissions" },
	[SG_RULE_LIFETIME] = { "lifetime", "valid for longer than max_lifetime" },
	[SG_RULE_HTTP] = { "http", "usable over plain HTTP (spr absent or allows http)" },
	[SG_RULE_SCOPE] = { "scope", "reaches a whole container, share or directory" },
	[SG_RULE_IP_UNRESTRICTED] = { "ip-unrestricted", "usable from any IP address (no sip)" },
	[SG_RULE_STORED_POLICY] = { "stored-policy",
				    "permissions and lifetime live in a stored access policy (si without se)" },
	[SG_RULE_ACCOUNT_KEY] = { "account-key",
				  "a storage or Cosmos DB account key, or a shared access key: full control, never expires" },
	[SG_RULE_UNPARSEABLE] = { "unparseable", "a signed token whose sv, sp, st or se cannot be read" },
};

static const char *const severities[] = { "off", "info", "warning", "error" };

const char *sg_kind_name(sg_kind k)
{
	return (unsigned)k < SG_KIND_COUNT ? kinds[k].name : "unknown";
}

const char *sg_kind_label(sg_kind k)
{
	return (unsigned)k < SG_KIND_COUNT ? kinds[k].label : "unknown";
}

const char *sg_rule_name(sg_rule r)
{
	return (unsigned)r < SG_RULE_COUNT ? rules[r].name : "unknown";
}

const char *sg_rule_title(sg_rule r)
{
	return (unsigned)r < SG_RULE_COUNT ? rules[r].title : "unknown";
}

int sg_rule_lookup(const char *name)
{
	for (int i = 0; i < SG_RULE_COUNT; i++)
		if (strcmp(rules[i].name, name) == 0)
			return i;
	return -1;
}

const char *sg_severity_name(sg_severity s)
{
	return (unsigned)s <= SG_SEV_ERROR ? severities[s] : "unknown";
}

int sg_severity_parse(const char *s, sg_severity *out)
{
	for (int i = 0; i <= SG_SEV_ERROR; i++) {
		if (strcmp(s, severities[i]) == 0) {
			*out = (sg_severity)i;
			return SG_OK;
		}
	}
	return SG_EINVAL;
}

const char *sg_permission_name(char letter)
{
	switch (letter) {
	case 'r': return "read";
	case 'a': return "add";
	case 'c': return "create";
	case 'w': return "write";
	case 'd': return "delete";
	case 'x': return "delete version";
	case 'y': return "permanent delete";
	case 'l': return "list";
	case 't': return "tags";
	case 'f': return "filter by tags";
	case 'm': return "move";
	case 'e': return "execute";
	case 'o': return "change ownership";
	case 'p': return "process messages / change permissions";
	case 'u': return "update";
	case 'i': return "set immutability policy";
	default: return NULL;
	}
}
