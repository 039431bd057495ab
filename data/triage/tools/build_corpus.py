#!/usr/bin/env python3
"""Builds data/triage/{train,test}.jsonl from raw/nhtsa-complaints.tsv and raw/nhtsa-ford-f8.tsv
(real, public domain; the latter a subsample written by subsample_ford_f8.py, labelled from Ford's
binning by ford_system) and the project's own written fragments below (CC0). Deterministic: same input, same output.

    python3 data/triage/tools/build_corpus.py          # from the repository root

The model is trained from train.jsonl only (fb-backend train-classifier); test.jsonl is for
evaluation. See data/triage/PROVENANCE.md for what is real and what is written.

Split: a real complaint goes to test when a hash of its text says so (about 30 %, 20 % of the
Ford F8 records; 50 % of the few with a crash, fire or injury flag). A written
item is composed from fragment pools; every pool is split by index (each 4th fragment is
test-only), and a test item uses at least one test-only symptom fragment, so no test sentence's
core wording was seen in training. Duplicates (same normalised text) are dropped, and a text
in both files is dropped from train.
"""
import csv
import hashlib
import json
import os
import random
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# ---------------------------------------------------------------- NHTSA (real)

def nhtsa_system(compdesc: str) -> str:
    c = compdesc.upper().split(",")[0].strip()
    if "TRACTION BATTERY" in c or "CHARGING" in c:
        return "battery"
    if c.startswith("HYBRID PROPULSION") or "ELECTRIC MOTOR" in c:
        return "electric_drive"
    if c.startswith("VEHICLE SPEED CONTROL"):
        return "engine" if ("ACCELERATOR" in c or "THROTTLE" in c) else "adas"
    if c.startswith(("FORWARD COLLISION", "LANE DEPARTURE", "BACK OVER PREVENTION", "ADAPTIVE")):
        return "infotainment" if "DISPLAY" in c else "adas"
    if c.startswith(("SERVICE BRAKES", "PARKING BRAKE", "TRACTION CONTROL", "ELECTRONIC STABILITY")):
        return "brakes"
    if c.startswith("STEERING"):
        return "steering"
    if c.startswith("SUSPENSION"):
        return "suspension"
    if c.startswith(("TIRES", "WHEELS")):
        return "tyres"
    if c.startswith(("AIR BAGS", "SEAT BELTS", "CHILD SEAT")):
        return "restraints"
    if c.startswith(("STRUCTURE", "SEATS", "LATCHES", "VISIBILITY")):
        return "body"
    if c.startswith(("EXTERIOR LIGHTING", "INTERIOR LIGHTING", "ELECTRICAL SYSTEM")):
        return "electrical"
    if c.startswith(("ENGINE", "FUEL", "EMISSION", "EXHAUST")):
        return "engine"
    if c.startswith("POWER TRAIN"):
        return "transmission"
    if c.startswith("COMMUNICATION"):
        return "infotainment"
    return "other"


def nhtsa_items():
    out = []
    with open(os.path.join(ROOT, "raw", "nhtsa-complaints.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            text = r["CDESCR"].strip()
            if len(text) < 20:
                continue
            num = lambda v: int(float(v)) if v.strip() else 0
            safety = r["CRASH"] == "Y" or r["FIRE"] == "Y" or num(r["INJURED"]) > 0 or num(r["DEATHS"]) > 0
            item = {"id": "en-nhtsa-" + r["ODINO"], "text": text, "lang": "en", "type": "product_fault",
                    "system": nhtsa_system(r["COMPDESC"]), "safety": safety, "source": "nhtsa"}
            if safety:
                item["priority"] = "high"
            out.append(item)
    return out


def ford_system(binning: str) -> str:
    """System of a Ford F8 record from Ford's own binning ("DOOR LATCH | FROZEN"), by its component."""
    c = binning.split("|")[0].strip().upper()
    if c in ("", "UNKNOWN", "UNKNOW", "~"):
        return "other"
    if "PRE-COLLISION" in c:
        return "adas"
    if "CAMERA" in c:
        return "infotainment"
    if "DEFROSTER" in c:
        return "hvac"
    if any(k in c for k in ("LIGHT", "LAMP", "REFLECTOR")):
        return "electrical"
    if any(k in c for k in ("POWER WINDOW", "WINDOW CONTROLS", "POWER LIFTGATE", "POWER TAILGATE", "POWER RUNNING",
                            "IGNITION", "AUTO FOLD", "LIFTGATE CLOSE BUTTON", "HANDLE SENSOR")):
        return "electrical"
    return "body"  # latches, hinges, check arms, glass, moonroof, mouldings, wipers, mirrors, handles


def ford_items():
    out = []
    with open(os.path.join(ROOT, "raw", "nhtsa-ford-f8.tsv"), newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            text = r["CDESCR"].strip()
            num = lambda v: int(float(v)) if v.strip() else 0
            safety = r["CRASH"] == "Y" or r["FIRE"] == "Y" or num(r["INJURED"]) > 0 or num(r["DEATHS"]) > 0
            item = {"id": "en-ford-" + r["ODINO"], "text": text, "lang": "en", "type": "product_fault",
                    "system": ford_system(r["FORD_BINNING"]), "safety": safety, "source": "nhtsa-ford"}
            if safety:
                item["priority"] = "high"
            out.append(item)
    return out

# ---------------------------------------------------------------- written (CC0)
# Each system: (zh symptoms, en symptoms, zh safety symptoms, en safety symptoms, dtcs).
# Symptoms are the core of an item; frames put them into an owner's voice.

SYS = {
 "engine": (
  ["发动机抖动得厉害,怠速的时候方向盘都在震", "冷车启动时发动机异响,哒哒哒的声音", "烧机油,五千公里就少了一升", "发动机故障灯亮了,车没劲", "水温一直偏高,风扇狂转", "加速无力,踩油门半天才反应过来", "冷启动打不着火,要打好几次", "排气管冒黑烟,油耗也高了", "油耗比宣传的高了一倍多,百公里14个油", "发动机舱有漏油的痕迹,地上一滩油", "涡轮增压有吹哨声,高速明显", "机油乳化了,机油尺上全是白色的", "启停之后重新启动车身抖一下", "积碳严重,才一万公里就要清洗节气门", "排放灯亮,说是三元催化堵了", "防冻液少了,一直在补,找不到哪里漏"],
  ["ENGINE SHAKES AT IDLE AND THE RPM GOES UP AND DOWN", "the engine is burning oil, a quart every 1500 miles", "check engine light came on and the car has no power going uphill", "engine knocking noise on cold start", "coolant temperature gauge goes into the red", "hesitation when I press the gas pedal", "car cranks but will not start in the morning", "black smoke from the exhaust and bad fuel economy", "oil leak from the valve cover gasket", "turbo whistles and loses boost on the highway", "rough running and misfire on cylinder 3", "antifreeze keeps disappearing, no visible leak"],
  ["高速上发动机突然熄火,方向盘和刹车都变重,差点被后车追尾", "开着开着发动机舱冒烟了,赶紧靠边停车", "行驶中突然失去动力,车在路中间趴窝了", "机舱起火,整个车头都烧了"],
  ["ENGINE STALLED ON THE INTERSTATE AT 65 MPH WITH NO WARNING, LOST POWER STEERING AND NEARLY CRASHED", "smoke started pouring out from under the hood while driving and then flames", "the vehicle lost all power while merging onto the highway", "engine caught fire in the parking lot after a short drive"],
  ["P0300", "P0301", "P0171", "P0420", "P0128", "P0217"]),
 "transmission": (
  ["变速箱顿挫严重,一档升二档的时候往前一窜", "低速换挡冲击很大,堵车的时候特别难受", "倒挡挂不进去,要踩好几次刹车", "变速箱有异响,呜呜的声音随车速变大", "双离合低速抖动,起步像手动挡溜车", "换挡迟缓,降挡的时候转速飙升", "变速箱漏油,底下滴油", "踩油门转速上去了车速不上来,像是打滑", "D挡起步的时候有咯噔一声", "变速箱过热报警,要停车等一会", "四驱分动箱有异响,转弯的时候咔咔响", "传动轴有震动,车速八十以上明显"],
  ["the transmission shifts hard from 2nd to 3rd", "TRANSMISSION SLIPS WHEN ACCELERATING, RPM FLARES", "harsh downshift when slowing to a stop", "clunk when shifting into drive or reverse", "dual clutch shudders at low speed in traffic", "delayed engagement, takes 3 seconds to go into gear", "transmission fluid leaking from the pan", "whining noise from the transmission at highway speed", "gear selector stuck in park", "driveshaft vibration above 60 mph"],
  ["开着开着变速箱突然跳到空挡,高速上没动力,差点被追尾", "停车挂P挡车还在溜,撞到了前面的车", "变速箱突然锁死,车在快车道停住了"],
  ["WHILE DRIVING AT 45 MPH THE TRANSMISSION SLIPPED INTO NEUTRAL AND THE VEHICLE LOST POWER IN TRAFFIC", "vehicle rolled away while in park and struck a parked car", "the transmission failed on the highway and I was almost rear ended"],
  ["P0700", "P0730", "P0741", "P0715", "P0868"]),
 "brakes": (
  ["刹车有异响,一踩就吱吱叫", "刹车踩下去软绵绵的,要踩很深才有制动", "ABS灯亮了,刹车感觉不对", "刹车抖动,高速踩刹车方向盘跟着抖", "电子手刹拉不起来,仪表报故障", "刹车片才跑一万公里就磨完了", "刹车盘生锈,刹车的时候有咔咔声", "自动驻车有时候不起作用,坡上会溜", "刹车油报警灯亮", "刹车踏板偏硬,要使很大劲才能刹住"],
  ["brakes squeal every time I stop", "spongy brake pedal, it sinks halfway down", "ABS light is on and the brakes grab", "steering wheel shakes when braking from highway speed", "electronic parking brake will not release", "brake pads worn out at 12,000 miles", "grinding noise from the rear brakes", "brake fluid warning light comes on"],
  ["刹车失灵,踩到底都刹不住,直接追尾了前车", "下坡的时候刹车突然没了,拉手刹才停住,太危险了", "刹车踏板突然变硬踩不动,差点闯红灯撞人", "行驶中刹车完全没反应,撞上了护栏"],
  ["THE BRAKES FAILED AND THE PEDAL WENT TO THE FLOOR, I REAR ENDED THE CAR IN FRONT", "complete loss of braking going downhill, had to use the parking brake", "brake pedal became hard and the car would not stop, hit the curb", "ABS activated on dry pavement and the car did not stop, resulting in a crash"],
  ["C0035", "C0040", "C0110", "C0265", "C0561"]),
 "steering": (
  ["方向盘跑偏,松手车就往右跑", "打方向有咯吱咯吱的异响", "方向盘变重了,停车的时候打不动", "方向盘回正不好,转完弯要自己回", "方向盘旷量大,高速发飘", "电动助力转向故障灯亮", "原地打方向有咔咔声", "方向盘在高速上抖动"],
  ["car pulls to the left on a straight road", "clunking noise when turning the steering wheel", "steering is heavy at low speed", "steering wheel does not return to center", "loose steering, too much play at highway speed", "power steering warning light on", "steering wheel vibrates at 70 mph"],
  ["行驶中方向盘突然打不动了,助力完全消失,差点撞到护栏", "转弯的时候方向突然失控,车冲出了车道", "高速上转向突然锁死,非常危险"],
  ["LOSS OF POWER STEERING WHILE MAKING A TURN, THE VEHICLE WENT INTO ONCOMING TRAFFIC", "the steering wheel locked up while driving and I hit a pole", "sudden loss of steering control at 55 mph"],
  ["C0545", "C0475", "C0460", "U0131"]),
 "suspension": (
  ["过减速带底盘咚咚响", "减震器漏油了,车身颠簸很厉害", "前轮外倾角不对,轮胎偏磨", "后悬挂有异响,坑洼路面吱吱响", "车身高度一边高一边低", "空气悬挂报警,车身降到最低了", "过坑的时候方向盘会震一下,底盘松散", "前摆臂球头有旷量"],
  ["clunk from the front suspension over bumps", "shock absorber leaking and the ride is bouncy", "rear suspension squeaks on rough roads", "the car sits lower on one side", "air suspension fault, the car dropped to the lowest level", "broken coil spring on the front right", "control arm bushing worn out, knocking noise"],
  ["行驶中前悬挂断了,车轮歪了,差点翻车", "高速上控制臂断裂,车失控撞到隔离带"],
  ["THE FRONT LOWER CONTROL ARM BROKE WHILE DRIVING AND THE WHEEL COLLAPSED, I LOST CONTROL", "ball joint separated at 40 mph causing a crash"],
  ["C0690", "C0710"]),
 "tyres": (
  ["胎压报警灯一直亮,打完气还是亮", "轮胎鼓包,才开了三个月", "轮胎异常磨损,内侧磨得很快", "轮毂变形,高速方向盘抖", "轮胎扎钉子了,补胎之后还是慢漏气", "原厂轮胎噪音太大,胎噪轰轰的", "轮毂螺丝生锈了", "四个轮胎半年就有裂纹"],
  ["tire pressure light stays on after filling the tires", "bulge on the sidewall of the front tire", "uneven tire wear on the inside edge", "bent rim, vibration at highway speed", "slow leak in the rear tire", "loud road noise from the original tires", "cracks in the tire sidewall after one year"],
  ["高速上爆胎了,车一下子就甩出去了", "行驶中轮子掉了,轮毂螺丝全断了,车直接撞到路边"],
  ["TIRE BLEW OUT AT 70 MPH AND THE VEHICLE ROLLED OVER, MY WIFE WAS INJURED", "the wheel came off while driving because the lug nuts sheared"],
  ["C0750", "C0755"]),
 "electrical": (
  ["小电瓶老是亏电,放两天就打不着火", "大灯有时候不亮,要拍一下才亮", "中控锁失灵,遥控钥匙锁不了车门", "车窗升降器时好时坏", "仪表盘黑屏了,什么都不显示", "雨刮器不回位", "车内灯关不掉,一晚上电瓶没电了", "线束被老鼠咬了,好几个故障灯", "无钥匙进入失灵,要用机械钥匙", "保险丝老是烧"],
  ["12 volt battery keeps dying overnight", "headlights flicker and sometimes go out", "central locking does not work with the key fob", "power window stops halfway", "instrument cluster goes blank while driving", "interior light will not turn off and drains the battery", "keyless entry not recognizing the fob", "wiring harness chewed by rodents"],
  ["行驶中仪表盘突然全黑,车速都看不到,大灯也灭了,夜里非常危险", "保险盒烧了冒烟,车里一股焦味"],
  ["ALL THE LIGHTS WENT OUT WHILE DRIVING AT NIGHT ON THE HIGHWAY", "wiring under the dash started smoking and melted"],
  ["U0100", "B1325", "U0140", "B1601"]),
 "battery": (
  ["冬天续航掉得厉害,标的500公里实际只能跑250", "快充充不进去,充到一半就断", "电池衰减太快,一年掉了15%", "慢充桩插上没反应", "充电口盖打不开", "动力电池报警,限制功率了", "电量显示跳变,一下子从40%掉到10%", "充电速度越来越慢,以前半小时现在一个多小时"],
  ["range dropped by half in cold weather", "fast charging stops at 50 percent", "battery degradation, lost 15 percent capacity in a year", "the car will not charge on a level 2 charger", "charge port door does not open", "battery warning and reduced power mode", "state of charge jumps from 40 to 10 percent"],
  ["停在车库充电的时候电池冒烟起火了", "行驶中动力电池报警然后车直接断电了,停在高速上", "电池包底部撞了之后有烧焦的味道"],
  ["THE CAR CAUGHT FIRE WHILE CHARGING IN THE GARAGE", "high voltage battery failure, the car shut down on the freeway", "smoke coming from the battery pack after hitting road debris"],
  ["P0A80", "P0AA6", "P0A7F", "P0D00"]),
 "electric_drive": (
  ["电机有啸叫声,车速六十左右最明显", "动力系统故障,车不能开了", "电机控制器报警,动力受限", "加速的时候有顿挫,像是电机断电", "能量回收忽强忽弱", "驱动电机异响,嗡嗡的"],
  ["electric motor whine at 40 mph", "drive unit failure, the car would not move", "inverter fault and reduced power", "jerk when accelerating like the motor cuts out", "regenerative braking is inconsistent", "humming noise from the rear drive unit"],
  ["高速上电机突然断电,车没动力了,后面的车差点撞上来"],
  ["THE ELECTRIC MOTOR SHUT OFF ON THE HIGHWAY AND THE CAR COASTED TO A STOP IN TRAFFIC"],
  ["P0A1F", "P0C78", "P1A00"]),
 "body": (
  ["下雨天后备箱进水", "车门关不严,要使很大劲", "天窗漏水,顶棚都湿了", "车漆起泡,才买一年", "高速风噪特别大,A柱那里呼呼的", "座椅加热不热,座椅还有异响", "车门密封条脱落", "后视镜震动,看不清后面", "内饰异味很重,甲醛超标", "车身缝隙不均匀,前盖一边宽一边窄", "挡风玻璃有裂纹", "车门异响,过坑就咯吱咯吱"],
  ["water leaks into the trunk when it rains", "the door does not close properly", "sunroof leaks onto the headliner", "paint bubbling on the hood after a year", "loud wind noise from the A pillar", "driver seat rattles", "door seal came off", "strong chemical smell inside the car", "windshield cracked by itself", "rattle from the dashboard over bumps"],
  ["行驶中车门突然自己开了,孩子差点掉出去", "座椅靠背断了,追尾的时候整个人往后倒"],
  ["THE DRIVER DOOR OPENED BY ITSELF WHILE DRIVING", "the seat back collapsed in a rear end collision and I was injured"],
  ["B1000", "B1342"]),
 "restraints": (
  ["安全气囊故障灯亮了", "安全带卡住拉不出来", "副驾安全带报警,没人坐也响", "安全带锁扣插不进去", "气囊灯时亮时灭", "安全带卷收器不回收"],
  ["airbag warning light is on", "seat belt is stuck and will not extend", "passenger seat belt chime with nobody in the seat", "seat belt buckle does not latch", "airbag light comes and goes", "seat belt does not retract"],
  ["撞车的时候气囊没弹出来,人受伤住院了", "没有碰撞气囊自己炸了,把我脸都烫伤了", "追尾的时候安全带没锁住,头撞到方向盘"],
  ["THE AIRBAGS DID NOT DEPLOY IN A FRONTAL CRASH AND I WAS INJURED", "airbag deployed for no reason while driving and burned my arms", "seat belt did not lock during the accident"],
  ["B0001", "B0012", "B0081", "B0092"]),
 "infotainment": (
  ["中控屏经常死机,要重启才好", "导航定位不准,老是偏到旁边的路上", "蓝牙连接手机老是断", "语音助手听不懂,说十遍都不对", "车机卡顿,点一下要等好几秒", "CarPlay连不上", "倒车影像黑屏了", "音响有杂音,喇叭沙沙的", "收音机没信号", "OTA升级失败了,车机一直转圈", "APP远程控制连不上车", "360全景影像画面不清楚"],
  ["the touchscreen freezes and reboots", "navigation shows the wrong location", "bluetooth keeps disconnecting from my phone", "voice commands never understand me", "infotainment system is laggy", "Apple CarPlay will not connect", "backup camera screen goes black", "speakers crackle", "the software update failed and the screen is stuck", "the phone app cannot connect to the car"],
  ["开车的时候中控屏突然黑屏,空调和除雾都调不了,挡风玻璃起雾看不见路"],
  ["THE SCREEN WENT BLANK WHILE DRIVING AND I COULD NOT SEE THE BACKUP CAMERA OR TURN ON THE DEFROSTER"],
  ["U0184", "B1D00"]),
 "hvac": (
  ["空调不制冷,吹出来是热风", "空调有异味,一开就一股霉味", "暖风不热,冬天冻死人", "空调压缩机有异响", "自动空调温度不准,设置22度吹得很冷", "后排出风口没风", "前挡除雾很慢", "空调滴水到副驾脚垫"],
  ["the AC blows warm air", "musty smell from the vents", "heater does not get warm in winter", "AC compressor makes a loud noise", "climate control does not hold the set temperature", "no air from the rear vents", "defroster is very slow to clear the windshield", "water dripping on the passenger floor"],
  ["冬天高速上除雾失效,前挡全是雾看不见路,只能停在应急车道"],
  ["DEFROSTER STOPPED WORKING IN A SNOWSTORM AND I COULD NOT SEE THE ROAD"],
  ["B10B5", "B1A00"]),
 "adas": (
  ["自适应巡航突然取消,也不提示", "车道保持老是往路边拽", "自动泊车找不到车位", "盲区监测不报警", "前碰撞预警乱报,没车也叫", "定速巡航设定不了", "自动远光灯反应慢", "车道偏离提醒太敏感,一直响"],
  ["adaptive cruise control turns off by itself", "lane keeping assist pulls the car toward the edge", "park assist cannot find a spot", "blind spot monitor does not warn", "forward collision warning goes off for no reason", "cruise control will not set", "lane departure warning beeps constantly"],
  ["自动紧急制动在高速上无故急刹,后车差点追尾", "开着自适应巡航前车减速了我的车没减速,撞了上去"],
  ["AUTOMATIC EMERGENCY BRAKING ACTIVATED FOR NO REASON AT 60 MPH AND I WAS NEARLY REAR ENDED", "adaptive cruise did not slow down for the stopped car ahead and I crashed into it"],
  ["C1A67", "U0235", "C1B00"]),
}

SERVICE = {
 "sales": (["销售说好的送保养,提车的时候不认了", "买车的时候销售承诺送贴膜和脚垫,到现在都没给", "强制买装饰包才给提车", "交车的时候发现车是库存车,生产日期一年前了", "定金交了两个月还不交车,销售一直拖", "销售隐瞒了车有补漆", "贷款手续费销售没提前说", "提车的时候发现配置和合同不一样"],
           ["the salesman promised free maintenance and now they deny it", "dealer forced me to buy an accessory package to get the car", "the car I was sold was a year old demo, they did not tell me", "paid a deposit two months ago and still no delivery date", "the sales contract does not match what they told me", "finance fees that were never mentioned at signing"]),
 "service": (["4S店服务态度太差,问什么都不耐烦", "已经跑了三次4S店了,每次都说正常,问题根本没解决", "维修拖了一个月还没修好,也没人给个说法", "预约保养等了四个小时", "技师水平不行,修完问题更严重了", "说好三天修好,结果半个月了还没动", "4S店说是我使用不当,拒绝保修", "客服电话打了五次都没人回", "修车的时候把我车划了一道也不认"],
             ["the service advisor was rude and hung up on me", "third visit to the dealer for the same problem and they still say nothing is wrong", "the car has been at the dealer for a month with no update", "waited four hours for a simple oil change", "the technician made it worse", "they promised three days and it has been two weeks", "dealer refuses warranty claiming misuse", "nobody returns my calls at the service center"]),
 "parts": (["等配件等了两个月,车一直停在店里", "配件缺货,说要从国外调", "换上的配件是翻新件,不是原厂的", "一个后视镜壳要等六周", "配件到了发现型号不对,又要重新订"],
           ["waiting two months for a part, the car is parked at the dealer", "the part is on national backorder with no date", "they installed a used part instead of a new one", "six weeks for a mirror cover", "wrong part arrived and they have to order again"]),
 "charges": (["保养收费太贵了,一次小保养一千多", "维修报价乱收费,工时费比配件还贵", "保修期内还要收检测费", "换个刹车片收了两千,外面只要五百", "没经过我同意就多做了项目还收钱", "延保花了钱结果什么都不保"],
             ["the dealer overcharged me for a basic service", "labor charges higher than the parts", "they charged a diagnostic fee for a warranty repair", "quoted 900 dollars for brake pads", "they did extra work without asking and billed me", "the extended warranty I paid for covers nothing"]),
}

USAGE = {
 "infotainment": (["车机菜单太复杂,找个设置要点好几层", "导航的界面不直观,不知道怎么设途经点", "语音唤醒词太长了,不好用", "中控屏字太小,开车的时候看不清", "手机APP操作逻辑很乱"],
                  ["the menus are not intuitive, it takes five taps to change a setting", "I cannot figure out how to add a stop in the navigation", "the screen text is too small to read while driving", "the app is confusing to use"]),
 "adas": (["自适应巡航跟车距离太远,老是被加塞", "车道保持的提醒方式太吓人了", "不知道怎么打开自动泊车"],
          ["adaptive cruise leaves too much gap and people cut in", "I do not understand how to turn on park assist", "the lane keeping feels unnatural"]),
 "hvac": (["空调的温度调节在屏幕里面,开车的时候调很不方便", "座椅加热的按钮藏太深了"],
          ["changing the temperature on the touchscreen is distracting", "the seat heater control is buried in a menu"]),
 "body": (["后排座椅放倒很费劲", "杯架太浅了,放不稳水杯", "后备箱开口太小"],
          ["folding the rear seats is hard", "the cup holders are too shallow", "the trunk opening is small"]),
 "battery": (["充电桩找起来很麻烦,APP上的信息不准", "续航显示不准,心里没底"],
             ["the charging station map in the app is not accurate", "the range estimate is hard to trust"]),
}

SUGGEST = {
 "infotainment": (["希望车机能支持微信语音", "建议增加一个保养预约功能", "希望导航能显示充电桩的空闲状态", "建议OTA加一个分屏功能", "希望以后能支持手机当钥匙"],
                  ["it would be nice if the navigation showed charger availability", "please add Android Auto wireless", "suggest adding a maintenance booking feature in the app", "would love a split screen mode"]),
 "adas": (["建议自适应巡航增加更近的跟车距离档位", "希望自动泊车支持斜列车位"],
          ["please add a closer following distance for adaptive cruise", "suggest supporting angled parking spots in park assist"]),
 "hvac": (["希望能远程提前开空调", "建议加一个座椅通风"],
          ["please add remote climate start in the app", "it would be great to have ventilated seats"]),
 "body": (["建议后排加个USB接口", "希望后备箱可以脚踢感应打开"],
          ["suggest adding USB ports for the rear seats", "a hands-free tailgate would be nice"]),
 "battery": (["建议充电的时候可以设置充到多少自动停", "希望增加预约充电功能"],
             ["please add a charge limit setting", "would like scheduled charging"]),
}

BRANDS_ZH = ["我的朗逸", "家里的卡罗拉", "我那台哈弗H6", "比亚迪汉", "新买的轩逸", "宝马3系", "我的速腾", "蔚来ES6", "小鹏P7", "理想ONE", "长安CS75", "吉利星越", "本田思域", "奥迪A4L", "大众迈腾", "特斯拉Model 3", "别克英朗", "荣威RX5"]
BRANDS_EN = ["my 2019 Honda Accord", "our 2021 Ford Explorer", "my Toyota RAV4", "2018 Chevy Equinox", "my Tesla Model Y", "2020 Hyundai Tucson", "our Jeep Grand Cherokee", "my Nissan Rogue", "2017 Subaru Outback", "my Kia Telluride"]

ZH_OPEN = ["{brand},{km}公里,", "{brand}提车{months}个月,", "本人{brand}车主,", "投诉一下,{brand},", "", "各位帮忙看看,{brand}跑了{km}公里,", "{brand}刚过磨合期,", "气死我了!{brand}"]
ZH_CLOSE = ["", "希望厂家重视!", "已经跑了三次4S店了,每次都说正常。", "4S店说正常现象,我不接受。", "要求厂家给个说法。", "这种质量真的让人失望。", "有没有车友遇到一样的问题??", "去店里检查说要换总成,等通知。", "店里查不出问题,让我回去再观察。", "强烈要求召回!!", "现在都不敢开了。"]
EN_OPEN = ["{brand} with {miles} miles. ", "I own {brand}. ", "THE CONTACT OWNS {BRAND}. ", "", "Bought {brand} {months} months ago. ", "{brand}, {miles} miles: "]
EN_CLOSE = ["", " The dealer could not duplicate the problem.", " I have taken it to the dealer three times.", " THE MANUFACTURER WAS NOTIFIED OF THE FAILURE.", " This is unacceptable.", " Has anyone else had this issue?", " The dealer said it is normal.", " THE VEHICLE WAS NOT REPAIRED. THE FAILURE MILEAGE WAS {miles}."]
ZH_SERVICE_OPEN = ["{brand}在4S店保养,", "投诉{city}的4S店,", "", "买{brand}的经历,", "{brand}去店里修车,"]
CITIES = ["北京", "上海", "成都", "郑州", "广州", "武汉", "西安", "杭州"]
CATEGORY_FOR = {"engine": "driving_feel", "transmission": "driving_feel", "brakes": "driving_feel", "steering": "driving_feel",
                "suspension": "noise", "tyres": "warning_lamp", "electrical": "other", "battery": "warning_lamp",
                "electric_drive": "driving_feel", "body": "noise", "restraints": "warning_lamp", "infotainment": "ui",
                "hvac": "other", "adas": "driving_feel"}
TYPOS = [("刹车", "杀车"), ("变速箱", "变数箱"), ("方向盘", "方向般"), ("发动机", "发东机"), ("已经", "以经"), ("的", "滴"), ("没有", "木有")]
HIGH_BY_SYSTEM = {"brakes", "steering", "restraints"}


def split_pool(pool, test):
    return [p for i, p in enumerate(pool) if (i % 4 == 3) == test] or pool[:1]


def zh_fill(s, rnd):
    return s.format(brand=rnd.choice(BRANDS_ZH), km=rnd.choice(["3000", "8千", "1万2", "两万", "35000", "6万"]),
                    months=rnd.choice(["两", "三", "6", "十"]), city=rnd.choice(CITIES))


def en_fill(s, rnd):
    b = rnd.choice(BRANDS_EN)
    return s.format(brand=b, BRAND=re.sub(r"^(MY|OUR) ", "A ", b.upper()), miles=rnd.choice(["12,000", "3,500", "48,000", "71,250"]),
                    months=rnd.choice(["two", "3", "six"]))


def typo(text, rnd):
    if rnd.random() < 0.25:
        a, b = rnd.choice(TYPOS)
        text = text.replace(a, b, 1)
    return text


def compose(lang, rnd, core, kind):
    if lang == "zh":
        opener = zh_fill(rnd.choice(ZH_SERVICE_OPEN if kind == "service" else ZH_OPEN), rnd)
        closer = "" if kind in ("suggestion", "usage") else rnd.choice(ZH_CLOSE)
        text = typo(opener + core + ("," if closer and not closer.startswith("4S") else "") + closer, rnd)
        if rnd.random() < 0.2:
            text = text.replace(",", ",,", 1) + rnd.choice(["", "。。。", "!!!", "??"])
        return text
    opener = en_fill(rnd.choice(EN_OPEN), rnd)
    closer = "" if kind in ("suggestion", "usage") else en_fill(rnd.choice(EN_CLOSE), rnd)
    text = opener + core[0].upper() + core[1:] + "." + closer
    if "CONTACT" in opener or rnd.random() < 0.3:
        text = text.upper()
    return text


def written_items(test, rnd):
    out = []
    tag = "test" if test else "train"

    def add(lang, text, typ, system, priority, safety, category=None, dtcs=None, speed=None):
        item = {"id": "", "text": text, "lang": lang, "type": typ, "system": system, "priority": priority,
                "safety": safety, "source": "written"}
        if category and rnd.random() < 0.8:
            item["category"] = category
        if dtcs:
            item["dtcs"] = dtcs
        if speed is not None:
            item["speed_kmh"] = speed
        out.append(item)

    reps = 2 if test else 5
    for system, (zh, en, zh_s, en_s, dtcs) in SYS.items():
        for lang, pool, safe_pool in (("zh", zh, zh_s), ("en", en, en_s)):
            for core in split_pool(pool, test):
                for _ in range(reps if lang == "zh" else max(1, reps - 2)):
                    prio = "high" if system in HIGH_BY_SYSTEM else "medium"
                    with_dtc = [rnd.choice(dtcs)] if rnd.random() < 0.25 else None
                    cat = CATEGORY_FOR[system]
                    lamp_moving = None
                    if cat == "warning_lamp" and rnd.random() < 0.3:
                        lamp_moving = rnd.choice([0, 0, 40, 90])
                        if lamp_moving > 0:
                            prio = "high"
                    add(lang, compose(lang, rnd, core, "fault"), "product_fault", system, prio, False, cat, with_dtc,
                        lamp_moving)
            for core in split_pool(safe_pool, test):
                for _ in range(reps + 1):
                    add(lang, compose(lang, rnd, core, "fault"), "product_fault", system, "high", True,
                        rnd.choice(["driving_feel", "other", "warning_lamp"]), None)
    for system, (zh, en) in SERVICE.items():
        for lang, pool in (("zh", zh), ("en", en)):
            for core in split_pool(pool, test):
                for _ in range(reps if lang == "zh" else max(1, reps - 2)):
                    add(lang, compose(lang, rnd, core, "service"), "service_complaint", system, "medium", False,
                        "service")
    for table, typ, prio, cat, kind in ((USAGE, "usage_experience", "medium", "ui", "usage"),
                                        (SUGGEST, "suggestion", "low", "idea", "suggestion")):
        for system, (zh, en) in table.items():
            for lang, pool in (("zh", zh), ("en", en)):
                for core in split_pool(pool, test):
                    for _ in range(reps if lang == "zh" else max(1, reps - 2)):
                        add(lang, compose(lang, rnd, core, kind), typ, system, prio, False, cat)
    for i, item in enumerate(out):
        item["id"] = "%s-w-%s-%04d" % (item["lang"], tag, i)
    return out


def norm(text):
    return re.sub(r"\s+", " ", text.strip().lower())


def main():
    rnd = random.Random(20261202)
    real = nhtsa_items()
    train, test = [], []
    for item in real:
        h = int(hashlib.sha256(norm(item["text"]).encode()).hexdigest()[:8], 16)
        # Safety-flagged complaints are few: half of them go to test, so that recall is measured.
        (test if h % 10 < (5 if item["safety"] else 3) else train).append(item)
    # Ford's body/closure records are one make and one function: only about 20 % go to test,
    # reported apart (source nhtsa-ford) so that en/nhtsa stays comparable.
    for item in ford_items():
        h = int(hashlib.sha256(norm(item["text"]).encode()).hexdigest()[:8], 16)
        (test if h % 10 < (5 if item["safety"] else 2) else train).append(item)
    train += written_items(False, rnd)
    test += written_items(True, rnd)

    def dedupe(items, banned):
        seen, out = set(banned), []
        for it in items:
            k = norm(it["text"])
            if k in seen:
                continue
            seen.add(k)
            out.append(it)
        return out

    test = dedupe(test, set())
    train = dedupe(train, {norm(t["text"]) for t in test})
    for name, items in (("train", train), ("test", test)):
        with open(os.path.join(ROOT, name + ".jsonl"), "w", encoding="utf-8") as f:
            for it in items:
                f.write(json.dumps(it, ensure_ascii=False, sort_keys=True) + "\n")
        langs = {}
        for it in items:
            langs[(it["lang"], it["source"])] = langs.get((it["lang"], it["source"]), 0) + 1
        print(name, len(items), sorted(langs.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
