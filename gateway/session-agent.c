/* session-agent.c — the VM's agent policy, from the config to the relay. */
#include "session-priv.h"

void
vmc_session_agent_policy(const VmcConfig *config, const char *vm, VmcAgentPolicy *ret_policy)
{
    g_return_if_fail(config != NULL && vm != NULL && ret_policy != NULL);
    VmcFileTransferPolicy file_transfer;
    VmcClipboardPolicy clipboard;
    vmc_config_agent_policy(config, vm, &file_transfer, &clipboard);
    ret_policy->file_transfer = file_transfer == VMC_FILE_TRANSFER_ALLOW;
    ret_policy->clipboard_to_vm =
        clipboard == VMC_CLIPBOARD_BOTH || clipboard == VMC_CLIPBOARD_TO_VM;
    ret_policy->clipboard_from_vm =
        clipboard == VMC_CLIPBOARD_BOTH || clipboard == VMC_CLIPBOARD_FROM_VM;
}

void
vmc_session_apply_agent_policy(VmcRelay *relay, const VmcConfig *config, const char *vm)
{
    g_return_if_fail(relay != NULL);
    VmcAgentPolicy policy;
    vmc_session_agent_policy(config, vm, &policy);
    vmc_relay_set_agent_policy(relay, &policy);
}

void
vmc_session_record_vm_agent_policy(VmcRecordStart *start, const VmcConfig *config, const char *vm)
{
    VmcAgentPolicy policy;
    vmc_session_agent_policy(config, vm, &policy);
    vmc_session_record_agent_policy(start, &policy);
}
