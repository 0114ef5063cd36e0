#include "backend/subtransaction.hpp"

namespace numaudit::backend {

ErrorData* in_subtransaction_Unsafe(void (*fn)(void*), void* arg) {
    MemoryContext oldcxt = CurrentMemoryContext;
    ResourceOwner oldowner = CurrentResourceOwner;
    ErrorData* volatile edata = nullptr;
    BeginInternalSubTransaction(nullptr);
    MemoryContextSwitchTo(oldcxt);
    PG_TRY();
    {
        fn(arg);
        ReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(oldcxt);
        CurrentResourceOwner = oldowner;
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(oldcxt);
        edata = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(oldcxt);
        CurrentResourceOwner = oldowner;
    }
    PG_END_TRY();
    return edata;
}

}  // namespace numaudit::backend
